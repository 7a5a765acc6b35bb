// Package model turns Terraform source, plan JSON and GitHub workflow files
// into the read-only model the policy rules run on.
//
// It owns discovery (every .tf under the given paths; local modules followed,
// even outside those paths), parsing with hclsyntax, static evaluation of
// simple expressions (literals, lists, objects, variables with defaults or
// tfvars, locals, count/for_each with known keys, dynamic blocks,
// jsonencode of literal objects, data "aws_iam_policy_document"), and the
// mapping of plan resources back to the resource blocks that declared them.
// It does not judge anything: rules live in package rules.
//
// Unknown stays unknown. An expression that cannot be evaluated statically
// (a resource attribute, a data source, an unsupported function) yields an
// unknown cty value, and rules treat unknown as "no finding" unless the rule
// is about absence.
//
// # Main types
//
//   - Project: everything loaded from the paths (files, module instances,
//     workflows, diagnostics).
//   - Module: one instance of a module directory, root or called.
//   - Resource: a resource or data block (one per known count/for_each
//     instance), with its Block.
//   - Block, Attribute: the parsed body with evaluated values and positions.
//   - View: the resources a rule pass looks at, from HCL (Project.View) or
//     from a plan (Project.PlanView).
//
// # Example
//
//	proj := model.Load([]string{"blueprint"}, model.LoadOptions{})
//	for _, d := range proj.Diagnostics { fmt.Println(d) }
//	view := proj.View()
//	for _, r := range view.OfType("aws_s3_bucket") { fmt.Println(r.Address(), r.DefRange) }
package model
