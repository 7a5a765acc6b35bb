# want-next: VGL-X001
# vigil:ignore VGL-S013
resource "aws_sns_topic" "audit" {
  name = "audit"
}
