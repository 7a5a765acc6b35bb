package backlog

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/remediate"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// Kinds of item (the same words as the store's incident kinds).
const (
	KindEscalation       = store.IncidentEscalation
	KindManualApply      = store.IncidentManualApply
	KindDriftFixedByHand = store.IncidentDriftFixedHand
)

// Encodings: what a fix becomes.
const (
	EncodePolicyRule  = "policy rule"
	EncodeAlarm       = "alarm"
	EncodeRemediation = "remediation"
)

// Item is one incident a person handled.
type Item struct {
	// Key identifies the item across listings ("escalation/prod/<alarm>/<episode>").
	Key   string `json:"key"`
	Kind  string `json:"kind"`
	Env   string `json:"env"`
	Stack string `json:"stack,omitempty"`
	// At is when it ended: the escalation, the apply, the clean check.
	At time.Time `json:"at"`
	// Began is when it began (the first record, the plan, the drifted
	// check); Merge matches stored incidents against Began..At.
	Began time.Time `json:"began"`
	Title string    `json:"title"`
	// What happened, one line each, oldest first.
	What    []string `json:"what"`
	Suggest Encoding `json:"suggest"`
	// Source names the records it comes from.
	Source string `json:"source"`
}

// Encoding is the suggested way to make the fix code.
type Encoding struct {
	As   string `json:"as"` // EncodePolicyRule, EncodeAlarm or EncodeRemediation
	Text string `json:"text"`
}

// Sort orders items newest first, then by key.
func Sort(items []Item) {
	slices.SortStableFunc(items, func(a, b Item) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
}

// Escalations groups a remediator's incident records by alarm episode and
// returns one item per episode with an escalation (done: the pager was
// paged; failed: the page did not go out either).
func Escalations(env, group string, records []remediate.Incident) []Item {
	type ep struct{ alarm, episode string }
	by := map[ep][]remediate.Incident{}
	for _, r := range records {
		k := ep{r.Alarm, r.Episode}
		by[k] = append(by[k], r)
	}
	var items []Item
	for k, rs := range by {
		slices.SortStableFunc(rs, func(a, b remediate.Incident) int { return a.Time.Compare(b.Time) })
		esc := -1
		for i, r := range rs {
			if r.Action == remediate.ActionEscalate && (r.Outcome == remediate.OutcomeDone || r.Outcome == remediate.OutcomeFailed) {
				esc = i
			}
		}
		if esc < 0 {
			continue
		}
		e := rs[esc]
		began := rs[0].Time
		alarm := k.alarm
		if alarm == "" {
			alarm = "(no alarm)"
		}
		it := Item{Key: "escalation/" + env + "/" + alarm + "/" + k.episode, Kind: KindEscalation, Env: env, At: e.Time, Began: began,
			Title:  fmt.Sprintf("Remediation escalated: %s (episode %s)", alarm, k.episode),
			Source: "remediator log group " + group}
		if e.Outcome == remediate.OutcomeFailed {
			it.Title = fmt.Sprintf("Remediation gave up and the page failed: %s (episode %s)", alarm, k.episode)
		}
		for _, r := range rs {
			it.What = append(it.What, incidentLine(r))
		}
		it.Suggest = SuggestEscalation(rs)
		items = append(items, it)
	}
	Sort(items)
	return items
}

func incidentLine(r remediate.Incident) string {
	s := fmt.Sprintf("%s %s: %s", r.Time.UTC().Format(time.RFC3339), r.Action, r.Outcome)
	if r.Target != "" {
		s += " on " + r.Target
	}
	if r.Detail != "" {
		s += " (" + r.Detail + ")"
	}
	return s
}

// SuggestEscalation says how to encode what the person did after an
// escalation, from what the remediator tried.
func SuggestEscalation(rs []remediate.Incident) Encoding {
	stops, held, runbook := 0, 0, ""
	for _, r := range rs {
		switch {
		case r.Action == remediate.ActionStopTask && r.Outcome == remediate.OutcomeDone:
			stops++
		case r.Action == remediate.ActionStopTask && r.Outcome == remediate.OutcomeHeld:
			held++
		case r.Action == remediate.ActionConfig:
			return Encoding{As: EncodePolicyRule, Text: "The remediator's configuration was wrong (" + r.Detail + "): add a policy rule or a module check that rejects this configuration at plan time."}
		}
		if r.Runbook != "" {
			runbook = r.Runbook
		}
	}
	rb := ""
	if runbook == "" {
		rb = " The alarm had no runbook: add \"Runbook: <url>\" to its description (M15)."
	}
	switch {
	case stops > 0:
		return Encoding{As: EncodeRemediation, Text: fmt.Sprintf("Replacing tasks (%d stopped) did not end the episode: encode the fix the person applied as a remediation step (a new action in the remediator, or a scaling or deployment change), or as a runbook step if it needs judgment.%s", stops, rb)}
	case held > 0:
		return Encoding{As: EncodeRemediation, Text: "The rate limit held back every stop: too few healthy tasks were left. Raise the service's capacity floor (min tasks, MIN_HEALTHY) so the remediator can act, or encode what the person did instead." + rb}
	default:
		return Encoding{As: EncodeAlarm, Text: "The alarm fired without a task to replace: the cause lies outside the service's tasks. Add an alarm on the cause the person found (a dependency, a quota, a deployment), or tune this alarm if the page needed no action (M19)." + rb}
	}
}

// RunApply is an applied run as ManualApplies reads it.
type RunApply struct {
	Run       *store.Run
	Stacks    []*store.RunStack
	Approvals []*store.Approval
}

// ManualApplies returns the runs applied by hand in a protected
// environment: kind plan (vigil apply RUN) rather than replan-apply (the
// after-merge apply of a reviewed fingerprint), status applied.
func ManualApplies(protected func(env string) bool, runs []RunApply) []Item {
	var items []Item
	for _, ra := range runs {
		r := ra.Run
		if r.Status != store.RunApplied || r.Kind != "plan" || !protected(r.Env) {
			continue
		}
		it := Item{Key: "manual-apply/" + r.Env + "/" + r.ID, Kind: KindManualApply, Env: r.Env, At: r.UpdatedAt, Began: r.CreatedAt,
			Title:  fmt.Sprintf("Applied by hand in %s: run %s", r.Env, r.ID),
			Source: "vigil store: run " + r.ID + " and its audit records"}
		it.What = append(it.What, fmt.Sprintf("%s run %s planned by %s at %s (commit %s)", r.CreatedAt.UTC().Format(time.RFC3339), r.ID, r.Author, r.Host, orNone(r.Commit)))
		for _, a := range ra.Approvals {
			line := fmt.Sprintf("%s approved by %s", a.CreatedAt.UTC().Format(time.RFC3339), a.By)
			if a.Comment != "" {
				line += ": " + a.Comment
			}
			it.What = append(it.What, line)
		}
		if len(ra.Approvals) == 0 {
			it.What = append(it.What, "no approval recorded")
		}
		var types []string
		var stacks []string
		for _, s := range ra.Stacks {
			var sum review.StackSummary
			if len(s.Summary) == 0 || json.Unmarshal(s.Summary, &sum) != nil || !sum.HasChanges() {
				continue
			}
			stacks = append(stacks, s.Stack)
			c := sum.Counts
			it.What = append(it.What, fmt.Sprintf("%s: %d to add, %d to change, %d to destroy, %d to replace", s.Stack, c.Add, c.Change, c.Destroy, c.Replace))
			for _, ch := range sum.Changes {
				it.What = append(it.What, fmt.Sprintf("  %s %s", ch.Action, ch.Address))
				types = append(types, ch.Type)
			}
		}
		it.What = append(it.What, fmt.Sprintf("%s applied by vigil apply %s, outside the pull-request flow", r.UpdatedAt.UTC().Format(time.RFC3339), r.ID))
		if len(stacks) == 1 {
			it.Stack = stacks[0]
		}
		it.Suggest = SuggestManualApply(types)
		items = append(items, it)
	}
	Sort(items)
	return items
}

// SuggestManualApply says how to encode a change a person applied by hand,
// from the resource types it touched.
func SuggestManualApply(types []string) Encoding {
	has := func(prefixes ...string) bool {
		return slices.ContainsFunc(types, func(t string) bool {
			return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(t, p) })
		})
	}
	switch {
	case has("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm", "aws_cloudwatch_log_metric_filter", "aws_synthetics_"):
		return Encoding{As: EncodeAlarm, Text: "An alarm was changed by hand: make the change in a pull request, and record why the old alarm paged wrongly or too late (M19)."}
	case has("aws_appautoscaling_", "aws_ecs_service", "aws_autoscaling_", "aws_lambda_"):
		return Encoding{As: EncodeRemediation, Text: "Capacity or a service was changed by hand: encode it as a scaling policy or remediation so the next time needs nobody, and merge it through a pull request."}
	case has("aws_security_group", "aws_vpc_security_group", "aws_iam_", "aws_kms_", "aws_s3_bucket_policy", "aws_s3_bucket_public_access_block"):
		return Encoding{As: EncodePolicyRule, Text: "Access or network rules were changed by hand: add a policy rule (vigil scan, Rego under policy/) that catches the unsafe form, and make such changes through pull requests."}
	}
	return Encoding{As: EncodePolicyRule, Text: "A change reached a protected environment without a reviewed pull request: make it a pull request (merging applies exactly the reviewed plan), and if this was an emergency, encode the fix as a remediation or a runbook step."}
}

// ApplyMark is a stack applied at a time, as DriftFixedByHand reads it.
type ApplyMark struct {
	Stack string
	At    time.Time
}

// DriftFixedByHand finds, per stack, a drift report (drifted) followed by
// the next clean report with no vigil apply of the stack in between: the
// drift went away by hand. reports may come in any order.
func DriftFixedByHand(reports []*store.DriftReport, applies []ApplyMark) []Item {
	by := map[string][]*store.DriftReport{}
	for _, r := range reports {
		if r.Stack == "" {
			continue // the unmanaged check: a deletion by hand is no fix to encode
		}
		by[r.Stack] = append(by[r.Stack], r)
	}
	var items []Item
	for stk, rs := range by {
		sort.SliceStable(rs, func(i, j int) bool {
			if !rs[i].CheckedAt.Equal(rs[j].CheckedAt) {
				return rs[i].CheckedAt.Before(rs[j].CheckedAt)
			}
			return rs[i].ID < rs[j].ID
		})
		var open *store.DriftReport
		for _, r := range rs {
			switch r.Status {
			case store.DriftDrifted:
				if open == nil {
					open = r
				}
			case store.DriftClean:
				if open == nil {
					continue
				}
				if !appliedBetween(applies, stk, open.CheckedAt, r.CheckedAt) {
					items = append(items, driftItem(open, r))
				}
				open = nil
			}
		}
	}
	Sort(items)
	return items
}

func appliedBetween(applies []ApplyMark, stk string, from, to time.Time) bool {
	return slices.ContainsFunc(applies, func(a ApplyMark) bool {
		return a.Stack == stk && !a.At.Before(from) && !a.At.After(to)
	})
}

func driftItem(drifted, clean *store.DriftReport) Item {
	it := Item{Key: fmt.Sprintf("drift-fixed-by-hand/%s/%d", drifted.Stack, drifted.ID), Kind: KindDriftFixedByHand,
		Env: drifted.Env, Stack: drifted.Stack, At: clean.CheckedAt, Began: drifted.CheckedAt,
		Title:  fmt.Sprintf("Drift fixed by hand in %s", drifted.Stack),
		Source: fmt.Sprintf("vigil store: drift reports %d and %d", drifted.ID, clean.ID)}
	var sr drift.StackReport
	_ = json.Unmarshal(drifted.Report, &sr)
	it.What = append(it.What, fmt.Sprintf("%s drift found in %s:", drifted.CheckedAt.UTC().Format(time.RFC3339), drifted.Stack))
	var fs []drift.Finding
	for _, f := range sr.Drift {
		if f.IsDrift() {
			fs = append(fs, f)
			switch f.Kind {
			case drift.KindChanged:
				it.What = append(it.What, fmt.Sprintf("  ~ %s %s: %s → %s", f.Address, f.Attribute, drift.Show(f.Before), drift.Show(f.After)))
			default:
				it.What = append(it.What, fmt.Sprintf("  - %s %s out of band", f.Address, f.Kind))
			}
		}
	}
	it.What = append(it.What, fmt.Sprintf("%s clean again, with no vigil apply of %s in between: someone put it back by hand", clean.CheckedAt.UTC().Format(time.RFC3339), drifted.Stack))
	it.Suggest = SuggestDrift(fs)
	return it
}

// SuggestDrift says how to encode a drift someone reverted by hand.
func SuggestDrift(fs []drift.Finding) Encoding {
	deleted := slices.ContainsFunc(fs, func(f drift.Finding) bool { return f.Kind == drift.KindDeleted })
	iam := slices.ContainsFunc(fs, func(f drift.Finding) bool {
		return strings.HasPrefix(f.Type, "aws_iam_") || strings.HasPrefix(f.Type, "aws_security_group") || strings.HasPrefix(f.Type, "aws_vpc_security_group")
	})
	switch {
	case iam:
		return Encoding{As: EncodePolicyRule, Text: "Access rules were changed outside the code: deny such console writes (the foundation's console-write guardrail, M18) and add a policy rule if the change was unsafe."}
	case deleted:
		return Encoding{As: EncodeAlarm, Text: "A managed resource was deleted out of band and recreated by hand: alarm on its deletion (an EventBridge rule on the delete API call to the pager), and restrict who can delete it (M18)."}
	}
	return Encoding{As: EncodeRemediation, Text: "An attribute was changed out of band and changed back by hand: let vigil put it back (vigil apply of the stack, or vigil serve's drift sweep), and restrict console writes in production (M18) so it does not recur."}
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
