package drift

// OnProvidersStarted sets a hook called with the pids of the provider
// plugins started for each stack's plan, before the plan runs.
func OnProvidersStarted(p Params, f func(stack string, pids []int)) Params {
	p.providersStarted = f
	return p
}

// Leaves maps the leaf attribute paths of a plan value to their rendered
// values, as findings show them.
func Leaves(v any) map[string]string { return leaves(v) }
