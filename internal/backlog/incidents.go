package backlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/store"
)

// MatchWindow is how long after a derived item ends (At) an incident of
// the same kind, environment and stack is still taken for the same event:
// vigil serve records its incident when it sees the stack clean, which is
// after the clean report's CheckedAt (the start of that check) by the
// check's duration.
const MatchWindow = 30 * time.Minute

// matchSkew tolerates clocks and truncation: an incident recorded up to a
// minute before the derived item began still matches.
const matchSkew = time.Minute

// FromIncident turns an incident vigil serve (or another process) recorded
// in the store into an item. ok is false for kinds that are no backlog
// item: a stack that newly drifted (store.IncidentDrift) is an open
// condition with its own alert; it becomes an item when someone fixes it
// by hand (drift-fixed-by-hand).
func FromIncident(in *store.Incident) (Item, bool) {
	if in == nil || in.Kind == store.IncidentDrift {
		return Item{}, false
	}
	src := in.Source
	if src == "" {
		src = "unknown"
	}
	it := Item{Key: fmt.Sprintf("%s/%s/incident-%d", in.Kind, in.Env, in.ID), Kind: in.Kind, Env: in.Env, Stack: in.Stack,
		At: in.At, Began: in.At, Title: in.Title,
		Source: fmt.Sprintf("vigil store: incident %d recorded by %s", in.ID, src)}
	if it.Title == "" {
		it.Title = fmt.Sprintf("%s in %s", in.Kind, in.Env)
	}
	it.What = append(it.What, fmt.Sprintf("%s recorded by %s: %s", in.At.UTC().Format(time.RFC3339), src, it.Title))
	fs, lines := detailLines(in.Detail)
	it.What = append(it.What, lines...)
	switch in.Kind {
	case KindDriftFixedByHand:
		it.Suggest = SuggestDrift(fs)
	case KindManualApply:
		it.Suggest = SuggestManualApply(nil)
	case KindEscalation:
		it.Suggest = Encoding{As: EncodeRemediation, Text: "The remediator handed this to a person: encode what the person did as a remediation step (a new action in the remediator, or a scaling or deployment change), or tune the alarm if the page needed no action (M19)."}
	case store.IncidentCanary:
		it.Suggest = Encoding{As: EncodeAlarm, Text: "A canary saw the user path fail (M14): make sure an alarm on the user-facing signal that moved first (error rate, latency, availability) pages, and encode the fix the person applied as a remediation."}
	default:
		it.Suggest = Encoding{As: EncodeRemediation, Text: "A person handled this: encode the fix as a remediation, an alarm or a policy rule, so the next one needs nobody."}
	}
	return it, true
}

// detailLines renders an incident's detail: drift findings (a stack
// report, or a list of findings) one line each, a JSON object as sorted
// key: value lines, anything else as it is. Secrets were masked before the
// detail was stored.
func detailLines(detail json.RawMessage) ([]drift.Finding, []string) {
	detail = bytes.TrimSpace(detail)
	if len(detail) == 0 || string(detail) == "null" {
		return nil, nil
	}
	var fs []drift.Finding
	var sr drift.StackReport
	if json.Unmarshal(detail, &sr) == nil && len(sr.Drift) > 0 {
		fs = sr.Drift
	} else if json.Unmarshal(detail, &fs) != nil {
		fs = nil
	}
	var live []drift.Finding
	for _, f := range fs {
		if f.IsDrift() && f.Address != "" {
			live = append(live, f)
		}
	}
	if len(live) > 0 {
		var lines []string
		for _, f := range live {
			if f.Kind == drift.KindChanged {
				lines = append(lines, fmt.Sprintf("  ~ %s %s: %s → %s", f.Address, f.Attribute, drift.Show(f.Before), drift.Show(f.After)))
			} else {
				lines = append(lines, fmt.Sprintf("  - %s %s out of band", f.Address, f.Kind))
			}
		}
		return live, lines
	}
	var obj map[string]any
	if json.Unmarshal(detail, &obj) == nil && len(obj) > 0 {
		var lines []string
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			v, _ := json.Marshal(obj[k])
			lines = append(lines, fmt.Sprintf("  %s: %s", k, v))
		}
		return nil, lines
	}
	var s string
	if json.Unmarshal(detail, &s) == nil {
		return nil, []string{"  " + s}
	}
	return nil, []string{"  " + string(detail)}
}

// Merge adds to the items vigil backlog derived itself (derived) the
// incidents recorded in the store that are not the same event. An
// incident is the same event as a derived item when kind and environment
// agree, the stacks agree (or the incident names none), and it was
// recorded between a minute before the item began and MatchWindow after
// it ended: vigil serve's drift-fixed-by-hand incident for the drift
// vigil backlog also finds in the drift reports, for instance. Such
// incidents are dropped; the rest are listed (FromIncident). The result
// is sorted.
func Merge(derived []Item, incidents []*store.Incident) []Item {
	out := slices.Clone(derived)
	for _, in := range incidents {
		it, ok := FromIncident(in)
		if !ok || duplicate(derived, in) {
			continue
		}
		out = append(out, it)
	}
	Sort(out)
	return out
}

func duplicate(derived []Item, in *store.Incident) bool {
	for _, d := range derived {
		if d.Kind != in.Kind || d.Env != in.Env || (in.Stack != "" && d.Stack != in.Stack) {
			continue
		}
		began := d.Began
		if began.IsZero() || began.After(d.At) {
			began = d.At
		}
		if !in.At.Before(began.Add(-matchSkew)) && !in.At.After(d.At.Add(MatchWindow)) {
			return true
		}
	}
	return false
}
