// Package pipeline is the gated flow a change goes through: today the first
// gate, Check (M6: terraform fmt -check, init -backend=false, validate, for
// every stack, in parallel); plan, review, approve and apply come later.
//
// Every step can be called from the CLI, the server and the scheduler alike;
// nothing here prints. Progress is reported through a callback.
//
// # Example
//
//	report, err := pipeline.Check(ctx, pipeline.CheckParams{
//		Root:      cfg.Root,
//		Stacks:    graph.Env("dev"),
//		Terraform: tc,
//	})
//	if err != nil { ... }        // could not run at all (no provider, ...)
//	if !report.OK() { ... }      // findings: exit 1
package pipeline
