// Package protocol holds the wire formats AWS services speak, as the
// sandbox needs them: decoding the parts of a request that routing needs
// (SigV4 credential scope, X-Amz-Target, query Action) and encoding results
// and errors exactly the way SDK clients expect to parse them.
//
// The five protocols:
//
//   - query: form-encoded Action=…, XML responses wrapped in
//     <OpResponse><OpResult>…</OpResult><ResponseMetadata>…; errors as
//     <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
//     Used by STS, IAM, SNS, ELBv2 and (for the Terraform provider) CloudWatch.
//   - ec2: like query, but responses are <OpResponse><requestId/>… with no
//     Result wrapper and errors are <Response><Errors><Error>….
//   - json (1.0 and 1.1): POST / with X-Amz-Target: Prefix.Operation, JSON
//     bodies, errors as {"__type": code, "message": …}.
//   - rest-json: operations addressed by method and path (Lambda), errors
//     with the X-Amzn-ErrorType header and a JSON body.
//   - rest-xml: S3; operations addressed by method, path and query keys,
//     errors as <Error><Code/><Message/><RequestId/></Error>.
//
// Nothing here knows about any particular service's state.
package protocol
