// Package policy is vigil's policy gate (M7, B4): built-in security and
// reliability rules over Terraform source, plan JSON and CI workflows, user
// policies in Rego, suppressions with reasons, optional trivy/tflint, and
// reports as text, JSON and SARIF 2.1.0.
//
// It owns the scan as a whole: loading (package model), running the rules
// (package rules) and the user policies (package rego), merging the optional
// external scanners (package external), applying suppressions, deciding
// what fails. It does not parse vigil.hcl (package config does, and hands a
// Config in) and does not print anything it was not asked to: the CLI
// chooses the format and the exit code.
//
// # Scanning
//
//	rep, err := policy.New().Scan(ctx, &policy.ScanParams{
//		Paths:    []string{"blueprint"},
//		PlanFile: "plan.json",           // optional: terraform show -json
//		Env:      "prod",                // selects Config.FailOnEnv
//		Config:   policy.Config{FailOn: policy.SeverityHigh},
//	})
//	if err != nil { return err }        // bad parameters only
//	policy.WriteText(os.Stdout, rep)
//	return rep.Err()                    // *FindingsError (errors.Is ErrFindings) and/or *IncompleteError
//
// Files that do not parse, a corrupt plan and broken Rego are collected in
// Report.Errors with file:line; everything else is still scanned.
//
// # Suppressions
//
// A comment "# vigil:ignore VGL-S031 reason…" on the offending line, or on
// the line before it, suppresses those rules there; before a block it covers
// the whole block. Config.Ignore does the same by rule, path glob and
// resource address. A reason is required: a suppression without one is
// itself a finding (VGL-X001) and does not take effect. Suppressed findings
// stay in the report, marked, with their reason.
//
// # Failing
//
// Report.Err returns a *FindingsError when an unsuppressed finding reaches
// the threshold (ScanParams.FailOn, else Config.FailOnEnv[Env], else
// Config.FailOn, else high). Rego deny/violation results are high and warn
// results low unless the policy gives a severity.
package policy
