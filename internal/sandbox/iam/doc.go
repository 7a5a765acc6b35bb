// Package iam is the sandbox's AWS Identity and Access Management: roles,
// inline and managed policies (with versions), attachments, permissions
// boundaries, OpenID Connect providers, instance profiles, users and
// access keys, service-linked roles and tags — what the Terraform AWS
// provider's aws_iam_* resources and aws-sdk-go-v2 callers use.
//
// IAM speaks the query protocol (form Action=…, XML answers in the
// https://iam.amazonaws.com/doc/2010-05-08/ namespace) under the signing
// name "iam"; it is global, so the region of a request does not matter.
//
// # Behaviour kept from AWS
//
//   - Names are unique and looked up regardless of case; entity ids are
//     random with AWS's prefixes (AROA roles, ANPA policies, AIPA instance
//     profiles, AIDA users, AKIA access keys), 21 characters.
//   - Policy documents are validated (JSON, grammar, trust-policy rules,
//     size quotas counted without white space; a trust policy naming a role
//     or user of this account that does not exist is "Invalid principal in
//     policy") and answered URL-encoded (GetRole, GetRolePolicy,
//     GetPolicyVersion…), as IAM does.
//   - Errors carry IAM's codes and statuses: NoSuchEntity 404,
//     EntityAlreadyExists 409, DeleteConflict 409 (deleting a role with
//     policies or in an instance profile, a policy that is attached or has
//     non-default versions, the default version), LimitExceeded 409 (five
//     versions, ten attached policies, one role per instance profile, 50
//     tags), MalformedPolicyDocument 400, ValidationError 400, InvalidInput
//     400, UnmodifiableEntity 400 (service-linked roles, AWS-managed
//     policies), PolicyNotAttachable 400.
//   - AWS-managed policies (arn:aws:iam::aws:policy/…) come from a built-in
//     catalog (managed_catalog.go) with their real paths; an ARN outside it
//     is NoSuchEntity. Documents of large AWS policies are abbreviated: the
//     sandbox does not evaluate permissions.
//   - OpenID Connect providers without thumbprints keep an empty list (AWS
//     would fetch the issuer's certificate; the sandbox is offline).
//
// # State
//
// Everything lives in the sandbox's state store, one JSON document per
// entity: "iam/role", "iam/user", "iam/policy", "iam/instance-profile"
// (keyed by lower-cased name), "iam/oidc-provider" (keyed by URL without
// scheme), "iam/access-key" (by key id). Inline policies and the list of
// attached policy ARNs live inside the role or user document; the reverse
// index "iam/attachment" and "iam/boundary" (policyARN|kind|name) answers
// AttachmentCount, ListEntitiesForPolicy and DeleteConflict checks. Every
// change is one state transaction.
//
// # For other sandbox services
//
// RoleByARN, RoleExists and OIDCProviderExists read IAM's state inside the
// caller's transaction:
//
//	err := env.State.Update(ctx, func(tx *state.Tx) error {
//		role, err := iam.RoleByARN(tx, in.Role)
//		if errors.Is(err, iam.ErrNoSuchRole) {
//			return protocol.Errorf(400, "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
//		}
//		…
//	})
package iam
