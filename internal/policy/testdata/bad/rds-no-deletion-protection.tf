resource "aws_rds_cluster" "catalog" {
  cluster_identifier      = "catalog"
  engine                  = "aurora-postgresql"
  storage_encrypted       = true
  backup_retention_period = 7
  deletion_protection     = false # want: VGL-R042
}
