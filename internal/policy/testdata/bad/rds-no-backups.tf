resource "aws_db_instance" "staging_copy" {
  identifier              = "staging-copy"
  engine                  = "postgres"
  instance_class          = "db.t4g.micro"
  allocated_storage       = 20
  storage_encrypted       = true
  multi_az                = true
  deletion_protection     = true
  backup_retention_period = 0 # want: VGL-R040
}
