# Offline: the AWS provider is mocked, so these runs prove what the module asks AWS for.

mock_provider "aws" {
  # Mocked computed values are random strings; ARNs that the provider validates need a real shape.
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:us-east-1:123456789012:key/0d5c6b9e-1111-4222-8333-444455556666"
      key_id = "0d5c6b9e-1111-4222-8333-444455556666"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::vigil-test-tfstate"
    }
  }
}

variables {
  name_prefix = "vigil-test"
  tags        = { team = "sre" }
}

run "state_bucket_is_versioned_encrypted_and_private" {
  command = apply

  assert {
    condition     = aws_s3_bucket.state.bucket == "vigil-test-tfstate"
    error_message = "The bucket name must default to <name_prefix>-tfstate."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "State bucket versioning must be Enabled."
  }

  assert {
    condition = alltrue([
      for r in aws_s3_bucket_server_side_encryption_configuration.state.rule :
      alltrue([
        for d in r.apply_server_side_encryption_by_default :
        d.sse_algorithm == "aws:kms" && d.kms_master_key_id == aws_kms_key.state.arn
      ])
    ])
    error_message = "State must be encrypted with SSE-KMS using the module's key."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "All four public access block settings must be true."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.state.policy).Statement :
      s.Effect == "Deny" && s.Condition.Bool["aws:SecureTransport"] == "false"
    ])
    error_message = "The bucket policy must deny requests that do not use TLS."
  }
}

run "lock_table_and_key" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.lock.hash_key == "LockID" && one(aws_dynamodb_table.lock.attribute).type == "S"
    error_message = "The lock table needs the string hash key LockID that Terraform writes."
  }

  assert {
    condition     = aws_dynamodb_table.lock.billing_mode == "PAY_PER_REQUEST"
    error_message = "The lock table must be on-demand."
  }

  assert {
    condition     = aws_dynamodb_table.lock.point_in_time_recovery[0].enabled
    error_message = "The lock table must have point-in-time recovery."
  }

  assert {
    condition     = aws_dynamodb_table.lock.server_side_encryption[0].enabled && aws_dynamodb_table.lock.server_side_encryption[0].kms_key_arn == aws_kms_key.state.arn
    error_message = "The lock table must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation
    error_message = "The state KMS key must rotate."
  }

  assert {
    condition     = output.kms_key_arn == aws_kms_key.state.arn && output.table == "vigil-test-tflock"
    error_message = "Outputs must expose the key ARN and the table name."
  }
}

run "bucket_name_override" {
  command = plan

  variables {
    bucket_name = "acme-vigil-state"
  }

  assert {
    condition     = aws_s3_bucket.state.bucket == "acme-vigil-state"
    error_message = "bucket_name must override the derived name."
  }
}

run "rejects_a_bad_name_prefix" {
  command = plan

  variables {
    name_prefix = "Vigil_Prod"
  }

  expect_failures = [var.name_prefix]
}
