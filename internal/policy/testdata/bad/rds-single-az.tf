resource "aws_db_instance" "billing" { # want: VGL-R041
  identifier              = "billing"
  engine                  = "postgres"
  instance_class          = "db.m6g.large"
  allocated_storage       = 100
  storage_encrypted       = true
  backup_retention_period = 14
  deletion_protection     = true
}
