resource "aws_autoscaling_group" "workers" {
  name                = "workers"
  min_size            = 2
  max_size            = 6
  vpc_zone_identifier = ["subnet-0aaa1111bbbb2222c"] # want: VGL-R001

  launch_template {
    id      = "lt-0123456789abcdef0"
    version = "$Latest"
  }
}
