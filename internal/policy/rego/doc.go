// Package rego runs user policies written in Rego, in the layout conftest
// users know: a directory of *.rego files (default ./policy), any package,
// with rules named deny, warn or violation (or prefixed deny_, warn_,
// violation_). Each rule yields strings, or objects with a "msg" field and
// optionally "severity", "resource" and "id".
//
// It owns loading and compiling the modules (Rego v1 syntax first, falling
// back to v0 for older policies), evaluating them against an input (plan
// JSON, or the parsed configuration of one file) and running *_test.rego
// tests with OPA's tester. It knows nothing about Terraform or findings:
// package policy turns Results into findings.
//
// # Example
//
//	eng, err := rego.Load(ctx, []string{"policy"})
//	res, err := eng.Eval(ctx, input)   // input: map[string]any
//	for _, r := range res { fmt.Println(r.Kind, r.Message) }
package rego
