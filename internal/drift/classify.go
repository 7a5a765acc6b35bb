package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/vigil-sre/vigil/internal/review"
)

// Unknown is how a pending value known only after apply is shown.
const Unknown = review.Unknown

// ParsePlan reads a masked plan JSON (review.Mask of `terraform show
// -json`).
func ParsePlan(maskedPlan []byte) (*tfjson.Plan, error) {
	var p tfjson.Plan
	p.UseJSONNumber(true)
	if err := json.Unmarshal(maskedPlan, &p); err != nil {
		return nil, fmt.Errorf("read plan JSON: %w", err)
	}
	return &p, nil
}

// Classify sorts a masked plan's differences (see review.Mask) into drift
// and pending code changes. The plan is a normal one (refresh on), so it
// holds both what the refresh found changed since the last apply
// (resource_drift) and what an apply would do (resource_changes):
//
//   - A resource the refresh no longer finds is one KindDeleted finding
//     (the plan re-creates it; that re-creation is not pending code).
//   - An attribute that differs between the last apply and the refresh is
//     a KindChanged finding when the plan would set it back (or to another
//     value): the real world has left the code. Differences the plan
//     leaves alone are not reported: attributes the code does not set,
//     which Terraform's own other resources change after nearly every
//     apply (a route added to a route table by aws_route, a policy put on
//     a role by aws_iam_role_policy, an association on an EIP), attributes
//     under lifecycle ignore_changes, and representation noise (null, "",
//     [] and {} are all absent).
//   - For a resource that did not drift, every planned change is pending
//     code. For one that drifted, only the attributes the plan sets to a
//     value that is neither the refreshed one nor the one before the drift
//     are pending code; the rest of its change is the revert of the drift.
//
// Returned findings have no environment, stack or fingerprint yet.
func Classify(p *tfjson.Plan) (drift, pending []Finding) {
	planned := map[string]*tfjson.ResourceChange{}
	for _, rc := range p.ResourceChanges {
		if rc != nil && rc.Change != nil && rc.Mode == tfjson.ManagedResourceMode && rc.DeposedKey == "" {
			planned[rc.Address] = rc
		}
	}
	drifted := map[string]*tfjson.ResourceChange{}
	for _, rc := range p.ResourceDrift {
		if rc == nil || rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode || rc.DeposedKey != "" {
			continue
		}
		a := rc.Change.Actions
		switch {
		case a.Delete():
			drifted[rc.Address] = rc
			drift = append(drift, Finding{Kind: KindDeleted, Address: rc.Address, Type: rc.Type, Before: idOf(rc.Change.Before)})
		case a.Update() || a.Replace():
			pc := planned[rc.Address]
			if pc == nil {
				continue
			}
			action := actionOf(pc.Change.Actions)
			if action != review.ActionUpdate && action != review.ActionReplace {
				continue // the plan leaves it alone (or the code deletes it)
			}
			attrs := revertedAttrs(diffValues(rc.Change.Before, rc.Change.After, nil), pc.Change.Before, pc.Change.After, pc.Change.AfterUnknown)
			if len(attrs) == 0 {
				continue
			}
			drifted[rc.Address] = rc
			for _, at := range attrs {
				drift = append(drift, Finding{Kind: KindChanged, Address: rc.Address, Type: rc.Type, Attribute: at.Path, Before: at.Before, After: at.After})
			}
		}
	}
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		action := actionOf(rc.Change.Actions)
		if action == "" {
			continue
		}
		f := Finding{Kind: KindPending, Address: rc.Address, Type: rc.Type, Action: action}
		if rc.DeposedKey != "" {
			f.Address += " (deposed " + rc.DeposedKey + ")"
		}
		d := drifted[rc.Address]
		switch {
		case d != nil && rc.DeposedKey == "" && d.Change.Actions.Delete():
			continue // the re-creation of a resource deleted out of band
		case d != nil && rc.DeposedKey == "" && (action == review.ActionUpdate || action == review.ActionReplace):
			f.Attrs = codeAttrs(d.Change.Before, rc.Change.Before, rc.Change.After, rc.Change.AfterUnknown)
			if len(f.Attrs) == 0 {
				continue // only reverts the drift
			}
		case action == review.ActionUpdate || action == review.ActionReplace:
			f.Attrs = diffValues(rc.Change.Before, rc.Change.After, rc.Change.AfterUnknown)
		}
		pending = append(pending, f)
	}
	return drift, pending
}

// revertedAttrs keeps the drifted attributes the plan changes: its planned
// value differs from the refreshed one, or is unknown.
func revertedAttrs(drifted []Attr, refreshed, planned, unknown any) []Attr {
	r, a := leaves(refreshed), leaves(planned)
	unk := leaves(unknownPaths(unknown))
	var out []Attr
	for _, at := range drifted {
		if a[at.Path] != r[at.Path] || unk[at.Path] != "" || underUnknown(at.Path, unk) {
			out = append(out, at)
		}
	}
	return out
}

// actionOf names a planned change's action; "" for no-op and read.
func actionOf(a tfjson.Actions) string {
	switch {
	case a.Replace():
		return review.ActionReplace
	case a.Create():
		return review.ActionCreate
	case a.Update():
		return review.ActionUpdate
	case a.Delete():
		return review.ActionDelete
	case a.Forget():
		return review.ActionForget
	}
	return ""
}

// idOf is the rendered "id" attribute of an object, for showing which
// object was deleted.
func idOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		if id, ok := m["id"]; ok && !absent(id) {
			return render(id)
		}
	}
	return ""
}

// diffValues flattens before and after into leaf paths and returns the
// paths whose values differ, sorted. unknown (an after_unknown) turns
// leaves into Unknown. Absent, null, "", [] and {} are all absent.
func diffValues(before, after, unknown any) []Attr {
	b, a := leaves(before), leaves(after)
	for p := range leaves(unknownPaths(unknown)) {
		a[p] = Unknown
		for k := range a {
			if strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[") {
				delete(a, k)
			}
		}
	}
	var out []Attr
	for p := range union(a, b) {
		if a[p] != b[p] {
			out = append(out, Attr{Path: p, Before: b[p], After: a[p]})
		}
	}
	slices.SortFunc(out, func(x, y Attr) int { return strings.Compare(x.Path, y.Path) })
	return out
}

// codeAttrs are the attributes a plan changes on a drifted resource for a
// reason other than reverting the drift: the planned value is neither the
// refreshed one nor the one before the drift (prior). Unknown planned
// values are left out (nothing tells which they are).
func codeAttrs(prior, refreshed, planned, unknown any) []Attr {
	p, r, a := leaves(prior), leaves(refreshed), leaves(planned)
	unk := leaves(unknownPaths(unknown))
	var out []Attr
	for path := range union(a, r) {
		if unk[path] != "" || underUnknown(path, unk) {
			continue
		}
		if a[path] == r[path] || a[path] == p[path] {
			continue
		}
		if review.IsMasked(a[path]) && review.IsMasked(p[path]) {
			continue // both hidden: cannot tell, and the drift is reported anyway
		}
		out = append(out, Attr{Path: path, Before: r[path], After: a[path]})
	}
	slices.SortFunc(out, func(x, y Attr) int { return strings.Compare(x.Path, y.Path) })
	return out
}

func underUnknown(path string, unk map[string]string) bool {
	for u := range unk {
		if strings.HasPrefix(path, u+".") || strings.HasPrefix(path, u+"[") {
			return true
		}
	}
	return false
}

func union(a, b map[string]string) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// unknownPaths turns an after_unknown mask into an object whose true
// leaves are the unknown paths (false leaves dropped), for leaves().
func unknownPaths(v any) any {
	switch t := v.(type) {
	case bool:
		if t {
			return true
		}
		return nil
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if y := unknownPaths(x); y != nil {
				out[k] = y
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = unknownPaths(x)
		}
		return out
	}
	return nil
}

// leaves maps the leaf paths of v to their rendered values. Absent values
// (null, "", [], {}) have no leaf.
func leaves(v any) map[string]string {
	out := map[string]string{}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				walk(x, joinKey(path, k))
			}
		case []any:
			for i, x := range t {
				walk(x, path+"["+strconv.Itoa(i)+"]")
			}
		default:
			if path != "" && !absent(v) {
				out[path] = render(v)
			}
		}
	}
	walk(v, "")
	return out
}

func absent(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// joinKey extends a path the way review does: .name for identifiers,
// ["key"] otherwise.
func joinKey(path, key string) string {
	if identRe.MatchString(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// render shows a value as JSON text; masks stay as they are.
func render(v any) string {
	if s, ok := v.(string); ok && (review.IsMasked(s) || s == Unknown) {
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
