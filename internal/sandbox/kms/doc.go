// Package kms is the sandbox's AWS Key Management Service (JSON 1.1,
// X-Amz-Target prefix TrentService, signing name kms).
//
// It keeps symmetric (SYMMETRIC_DEFAULT) and HMAC keys in the sandbox state
// with their policy, description, tags, enabled state, rotation settings
// and scheduled deletion; aliases (alias/…) pointing at them; and it really
// encrypts: Encrypt, Decrypt, ReEncrypt and GenerateDataKey use AES-256-GCM
// with per-key random material, and the ciphertext blob embeds the key id
// and material version, so Decrypt needs no KeyId and keeps working after
// rotation. The encryption context is authenticated: a different one fails
// with InvalidCiphertextException. Disabled keys answer DisabledException,
// keys pending deletion KMSInvalidStateException.
//
// Time-driven behaviour uses the injected clock: a key whose deletion date
// has passed is deleted (with its aliases) the next time it is looked at,
// and automatic rotation adds key material when its date passes.
//
// DescribeKey (or a service such as DynamoDB) asking for alias/aws/<svc>
// creates that AWS managed key, as KMS does. KeyARN and ManagedKeyARN let
// other sandbox services resolve keys inside their own transaction.
//
// Key material is stored in the clear in the sandbox's state: this is a
// test double, not a vault. Asymmetric key specs, imported key material and
// custom key stores answer NotImplemented.
package kms
