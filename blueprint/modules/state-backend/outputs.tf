output "bucket" {
  description = "Name of the state bucket (the backend's `bucket`)."
  value       = aws_s3_bucket.state.id
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.state.arn
}

output "table" {
  description = "Name of the DynamoDB lock table (the backend's `dynamodb_table`, for Terraform < 1.10)."
  value       = aws_dynamodb_table.lock.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting state and locks (the backend's `kms_key_id`)."
  value       = aws_kms_key.state.arn
}
