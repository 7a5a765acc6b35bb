// Package cli is vigil's command line: one file per verb, each with
// NewCmdX(f, runF), an XOptions struct and an xRun(opts) function, in the
// style of cli/cli. Commands parse flags, call the packages that hold the
// capabilities (stack, terraform, pipeline, ...) and print; nothing else.
//
// The Factory carries the dependencies, built lazily: Config() (vigil.hcl,
// found by walking up from -C DIR), Terraform() (the toolchain) and the
// IOStreams. Data goes to Out, status and progress to ErrOut; --json gives
// machine output. Exit returns the process exit code for an error, in one
// place: 0 success, 1 error or findings (ErrFindings), 2 changes
// (ErrChanges, for verbs that report changes like terraform's
// -detailed-exitcode).
//
// # Adding a verb
//
// Write NewCmdVerb(f, runF) in verb.go and add it to the list in
// NewCmdRoot. Tests: a flag table (argv → options, through runF) and a run
// table with golden files in testdata/<verb>/<case>.golden (go test
// ./internal/cli -update rewrites them).
package cli
