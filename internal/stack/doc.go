// Package stack finds a repository's stacks and orders them.
//
// A stack is a folder <stacks_root>/<env>/<layer>/ holding Terraform files
// (*.tf or *.tofu); stacks_root and the environments come from vigil.hcl. A
// stack depends on another when:
//
//   - one of its `data "terraform_remote_state"` blocks (in the stack or in a
//     local module it calls) reads a literal `key` equal to the other stack's
//     backend key. A stack's backend key is the literal `key` of its
//     `backend "s3"` block, else the convention <env>/<layer>/terraform.tfstate;
//
//   - its optional stack.hcl says so:
//
//     depends_on = ["dev/foundation", "workload"] # "workload": the same environment
//
// Stacks are ordered topologically; ties are broken by environment order
// (vigil.hcl), then layer order (vigil.hcl, unknown layers last), then layer
// name. Layer order alone is not an edge: it orders, it does not block. A
// cycle is an error naming every stack in it. Waves group stacks whose
// dependencies all sit in earlier waves, for parallel runs.
//
// Reading is static (hcl/v2, no terraform process). Syntax errors in a stack's
// files do not stop discovery: they are kept on Stack.Module.Diags, and
// `terraform validate` reports them.
//
// # Example
//
//	g, err := stack.Load(cfg)
//	for _, s := range g.Env("dev") {
//		fmt.Println(s.ID(), s.Path, s.DependsOn)
//	}
//	for i, wave := range g.Waves(g.Stacks()) { ... }
package stack
