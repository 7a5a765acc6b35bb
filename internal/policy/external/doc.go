// Package external runs the optional third-party scanners, trivy and tflint,
// and turns their JSON output into findings.
//
// Neither is ever required: a tool that is not on PATH is reported as
// skipped, and the parsers are tested on recorded output. De-duplication
// against vigil's own rules is the caller's job; VigilEquivalent maps a
// trivy check to the built-in rule that covers the same concern.
//
// # Example
//
//	fs, rules, err := external.Trivy(ctx, external.ExecRunner, []string{"blueprint"})
package external
