// Package sts is the sandbox's AWS Security Token Service (query protocol,
// namespace https://sts.amazonaws.com/doc/2011-06-15/).
//
// It answers who the caller is and issues temporary credentials:
//
//   - GetCallerIdentity: the fixed account; the caller is
//     arn:aws:iam::<account>:user/sandbox, or, for credentials this STS
//     issued, the assumed-role (or user) session they belong to. Expired
//     session credentials get ExpiredToken.
//   - AssumeRole, AssumeRoleWithWebIdentity (unsigned, as on AWS; the JWT
//     payload is decoded but its signature is not verified),
//     GetSessionToken: new ASIA… credentials, kept in the sandbox state
//     (namespace "sts/session") so GetCallerIdentity signed with them
//     reports arn:aws:sts::<account>:assumed-role/<role>/<session>.
//   - GetAccessKeyInfo: the account.
//
// Any role ARN of the sandbox's account is accepted (the sandbox does not
// evaluate trust policies); a malformed ARN or session name is a
// ValidationError, another account's role AccessDenied.
//
// # Example
//
//	svc := sts.New(env) // env: service.Env over the sandbox state
//	svc.Handle(w, req)  // a routed query-protocol request
package sts
