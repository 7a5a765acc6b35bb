resource "aws_ebs_volume" "data" { # want: VGL-S010
  availability_zone = "us-east-1a"
  size              = 200
  type              = "gp3"

  tags = {
    Name = "postgres-data"
  }
}
