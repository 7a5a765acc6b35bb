// Package tfconfig reads what vigil needs from Terraform configuration files
// without running Terraform: a module's backend and its state key, its
// terraform_remote_state data sources, its module calls and the providers it
// requires.
//
// It reads *.tf and *.tofu files with hcl/v2's native syntax parser and only
// takes literal values (a key built from a variable is reported as not
// literal). It never judges a configuration: syntax errors are kept in
// Module.Diags for the caller to show or ignore, and `terraform validate`
// remains the authority. JSON configuration (*.tf.json) is not read.
//
// # Example
//
//	m, err := tfconfig.LoadModule("live/dev/workload")
//	if m.Backend != nil { fmt.Println(m.Backend.Type, m.Backend.Key) }
//	for _, rs := range m.RemoteStates { fmt.Println(rs.Name, rs.Key) }
//	mods, err := tfconfig.LocalModules(m) // every local module it calls, recursively
package tfconfig
