// Package config reads vigil.hcl, the project file at the root of a vigil
// repository.
//
// It owns the file's schema, its defaults and its validation; it does not
// look at the stacks themselves (package stack does). Errors carry
// file:line:col from the HCL parser.
//
// # Schema
//
//	project     = "vigil-blueprint"
//	stacks_root = "live"                                   # optional, default "live"
//	layers      = ["foundation", "workload", "observability", "remediation"] # optional, default this
//
//	environment "dev" {
//	  target   = "sandbox"   # "sandbox" (default) or "aws"
//	  region   = "us-east-1" # optional, default "us-east-1"
//	  approval = false       # optional: applies need a person's approval
//	}
//
// Unknown attributes and blocks are errors. To add a block later, add a field
// tagged `hcl:"name,block"` to fileSchema, a public type for it on Config, and
// its defaults and checks in decode.
//
// # Example
//
//	path, err := config.Find(dir) // walks up to the first vigil.hcl
//	cfg, err := config.Load(path)
//	for _, env := range cfg.Environments { ... }
package config
