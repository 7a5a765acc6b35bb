resource "aws_db_instance" "analytics" {
  identifier          = "analytics"
  engine              = "mysql"
  instance_class      = "db.t3.small"
  allocated_storage   = 20
  storage_encrypted   = true
  multi_az            = true
  deletion_protection = true
  publicly_accessible = true # want: VGL-S040
}
