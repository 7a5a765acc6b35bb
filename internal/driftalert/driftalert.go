// Package driftalert turns drift findings into alerts: one per drifted
// stack (key drift/ENV/LAYER) and one per environment for unmanaged
// resources (drift/ENV/unmanaged), each naming the resource addresses,
// attributes and before → after values (masked by package drift), the
// runbook and what to do first. `vigil serve` and `vigil ci` send the same
// alerts under the same keys, so a store both share dedupes them. Pure: no
// I/O.
package driftalert

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/drift"
)

// Options are what the caller adds to every alert.
type Options struct {
	Source    string    // "vigil serve", "vigil ci"
	Runbook   string    // runbook URL
	FirstStep string    // configured first step ("" for the default)
	URL       string    // link to where it was found (a CI run); optional
	StartsAt  time.Time // when the check ran; optional
}

// Key is the alert key of a stack's drift (layer "unmanaged" for the
// environment's unmanaged resources).
func Key(env, layer string) string { return "drift/" + env + "/" + layer }

// Live keeps the findings that are drift (not pending code changes or
// ignored ones).
func Live(fs []drift.Finding) []drift.Finding {
	var out []drift.Finding
	for _, f := range fs {
		if f.IsDrift() {
			out = append(out, f)
		}
	}
	return out
}

// Stack is the firing alert of a drifted stack ("<env>/<layer>"): every
// finding with its address, attribute and before → after.
func Stack(env, stackID string, live []drift.Finding, o Options) alert.Alert {
	_, layer, _ := strings.Cut(stackID, "/")
	a := alert.Alert{
		Fingerprint: Key(env, layer), Status: alert.StatusFiring, Kind: alert.KindDrift, Severity: alert.SeverityWarning,
		Environment: env, Layer: layer, Stack: stackID, RunbookURL: o.Runbook, URL: o.URL, Source: o.Source,
		StartsAt: o.StartsAt, Summary: Summary(live), FirstStep: o.FirstStep,
	}
	if len(live) > 0 {
		a.Resource = live[0].Address
	}
	for _, f := range live {
		d := alert.Detail{Key: f.Address}
		switch f.Kind {
		case drift.KindChanged:
			d.Key += " " + f.Attribute
			d.Value = fmt.Sprintf("changed out of band: %s → %s", drift.Show(f.Before), drift.Show(f.After))
		case drift.KindDeleted:
			d.Value = "deleted out of band"
		default:
			d.Value = f.Kind
		}
		a.Details = append(a.Details, d)
	}
	if a.FirstStep == "" {
		a.FirstStep = fmt.Sprintf("Run `vigil drift --env %s --stack %s` to see the diff, then either revert it (vigil plan --env %s, approve, apply) or codify it in %s's code.", env, stackID, env, stackID)
	}
	return a
}

// Unmanaged is the firing alert of an environment's unmanaged resources:
// tagged for it, in no stack's state.
func Unmanaged(env string, live []drift.Finding, o Options) alert.Alert {
	a := alert.Alert{
		Fingerprint: Key(env, "unmanaged"), Status: alert.StatusFiring, Kind: alert.KindDrift, Severity: alert.SeverityWarning,
		Environment: env, RunbookURL: o.Runbook, URL: o.URL, Source: o.Source, StartsAt: o.StartsAt,
		Summary:   fmt.Sprintf("%d unmanaged resource(s) tagged for %s but in no stack's state: %s", len(live), env, join(live, 3, func(f drift.Finding) string { return f.Address })),
		FirstStep: fmt.Sprintf("Run `vigil drift --env %s` and decide for each: import it into a stack (terraform import, id shown) or delete it.", env),
	}
	if len(live) > 0 {
		a.Resource = live[0].Address
	}
	for _, f := range live {
		a.Details = append(a.Details, alert.Detail{Key: f.Type, Value: "unmanaged: " + f.Address})
	}
	return a
}

// Summary is one line about a stack's drift: the change when there is
// one, else the count and the first three.
func Summary(live []drift.Finding) string {
	one := func(f drift.Finding) string {
		switch f.Kind {
		case drift.KindChanged:
			return fmt.Sprintf("%s %s changed out of band: %s → %s", f.Address, f.Attribute, drift.Show(f.Before), drift.Show(f.After))
		case drift.KindDeleted:
			return f.Address + " deleted out of band"
		}
		return f.Address + " " + f.Kind
	}
	if len(live) == 1 {
		return one(live[0])
	}
	return fmt.Sprintf("%d out-of-band changes: %s", len(live), join(live, 3, one))
}

func join(fs []drift.Finding, n int, f func(drift.Finding) string) string {
	var parts []string
	for i, x := range fs {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(fs)-n))
			break
		}
		parts = append(parts, f(x))
	}
	return strings.Join(parts, "; ")
}
