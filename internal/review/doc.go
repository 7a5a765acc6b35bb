// Package review turns Terraform's plan JSON into what people review, and
// makes sure no secret gets there. It is pure: no I/O beyond the writers
// it is given.
//
//   - Mask: the plan JSON with every value Terraform marks sensitive
//     replaced (before_sensitive/after_sensitive, sensitive_values,
//     sensitive outputs and variables), those values scrubbed wherever else
//     they occur, plus a pattern pass for unmarked secrets (secret-named
//     attributes, AWS keys, private keys, token formats, URL passwords,
//     high-entropy tokens). The returned Secrets scrub Terraform's text
//     output (Scrub); MaskText applies the pattern pass to any text.
//   - Summarize: a masked plan → StackSummary: counts, changes with
//     destroys and replacements first (stateful ones flagged), attribute
//     differences, output changes, relevant drift.
//   - Fingerprint: SHA-256 over the normalised changes of summaries; equal
//     for equal changes, whenever and wherever planned.
//   - Report and its renderers: WriteText (terminal), Markdown (one
//     pull-request comment, collapsed to fit GitHub's limit), WriteJSON.
//
// # Example
//
//	masked, secrets, err := review.Mask(raw)   // raw: terraform show -json
//	clear(raw)
//	sum, err := review.Summarize("dev/workload", masked)
//	log := secrets.Scrub(terraformOutput)
//	md := review.Markdown(&review.Report{RunID: id, Env: "dev", Stacks: ...})
package review
