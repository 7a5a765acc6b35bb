// Package finding holds the vocabulary every part of the policy gate shares:
// a Severity, a source Range, the metadata of a Rule and the Finding a rule
// produces.
//
// It owns no behaviour beyond parsing and printing these values, so the model,
// the built-in rules, the Rego runner and the external-scanner adapters can all
// depend on it without depending on each other. Package policy re-exports the
// types; most callers should use those names.
package finding
