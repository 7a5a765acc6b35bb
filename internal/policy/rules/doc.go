// Package rules holds vigil's built-in security and reliability rules.
//
// Each Rule is metadata (id, severity, title, why, fix, the SPEC
// requirements it enforces) plus a Check: a pure function from a model.View
// to Results. A Check never does I/O and never guesses: a value the model
// could not resolve statically is no finding, unless the rule is about
// something missing.
//
// Ids are grouped: VGL-S0xx security, VGL-R0xx reliability. VGL-X0xx
// (suppression hygiene) are produced by package policy, not here, but their
// metadata is listed so reports can describe them.
//
// # Example
//
//	view := model.Load(paths, model.LoadOptions{}).View()
//	for _, r := range rules.All() {
//		for _, res := range r.Check(view) {
//			fmt.Println(res.Range, r.ID, res.Message)
//		}
//	}
package rules
