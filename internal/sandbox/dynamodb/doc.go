// Package dynamodb is the sandbox's Amazon DynamoDB (JSON 1.0, X-Amz-Target
// prefix DynamoDB_20120810, signing name dynamodb).
//
// # Tables
//
// CreateTable, DescribeTable, UpdateTable, DeleteTable and ListTables keep
// the full table description the Terraform provider reads: key schema,
// attribute definitions, billing mode, provisioned throughput, global and
// local secondary indexes, streams, server-side encryption (with a KMS key
// resolved through the sandbox's kms package, or the AWS managed key
// alias/aws/dynamodb), table class, deletion protection and tags, plus TTL
// (DescribeTimeToLive/UpdateTimeToLive) and point-in-time recovery
// (DescribeContinuousBackups/UpdateContinuousBackups). Tables are ACTIVE as
// soon as CreateTable returns (its own answer says CREATING, as AWS's does).
// Item counts and sizes are kept exact rather than refreshed every six hours.
//
// # Items
//
// PutItem, GetItem, DeleteItem, UpdateItem, Query, Scan, BatchGetItem,
// BatchWriteItem, TransactGetItems and TransactWriteItems, with condition,
// filter, key-condition, update and projection expressions (package expr)
// and the legacy parameters (Expected, AttributeUpdates, AttributesToGet,
// KeyConditions, QueryFilter, ScanFilter). Every read-modify-write runs in
// one state.Update transaction, so a conditional write (Terraform's lock:
// PutItem with attribute_not_exists(LockID)) is atomic and durable.
//
// Items are stored one document each under "dynamodb/item/<table id>",
// keyed by the encoded primary key; Query reads one partition by key prefix
// and orders it by the sort key in memory; index queries and scans read the
// table. That is plenty for a sandbox and keeps indexes always consistent.
//
// # Not implemented
//
// Global tables (replicas), backups and restores, exports and imports,
// PartiQL, Kinesis streaming destinations, resource policies and the
// DynamoDB Streams API answer NotImplemented. TTL is recorded but expired
// items are not deleted.
package dynamodb
