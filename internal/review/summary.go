package review

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Actions of a Change, as shown.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionDelete  = "delete"
	ActionReplace = "replace"
	ActionRead    = "read"
	ActionForget  = "forget"
	ActionImport  = "import" // an import with no other change
	ActionMove    = "move"   // a moved block with no other change
)

// Unknown is how a value known only after apply is shown.
const Unknown = "(known after apply)"

// Counts are a stack's planned changes by kind.
type Counts struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	Replace int `json:"replace"`
	Import  int `json:"import,omitempty"`
	Forget  int `json:"forget,omitempty"`
	Move    int `json:"move,omitempty"`
}

// Total is the number of resource changes.
func (c Counts) Total() int {
	return c.Add + c.Change + c.Destroy + c.Replace + c.Import + c.Forget + c.Move
}

// String is "+1 ~2 -0 ±1" (replacements after ±).
func (c Counts) String() string {
	s := fmt.Sprintf("+%d ~%d -%d ±%d", c.Add, c.Change, c.Destroy, c.Replace)
	if c.Import > 0 {
		s += fmt.Sprintf(" import %d", c.Import)
	}
	if c.Forget > 0 {
		s += fmt.Sprintf(" forget %d", c.Forget)
	}
	if c.Move > 0 {
		s += fmt.Sprintf(" move %d", c.Move)
	}
	return s
}

// Attr is one attribute-level difference. Values are JSON texts (strings
// quoted), Masked, or Unknown; "" stands for absent.
type Attr struct {
	Path   string `json:"path"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// ForcesReplacement is set for the attributes that make Terraform
	// replace the resource.
	ForcesReplacement bool `json:"forces_replacement,omitempty"`
}

// Change is one resource's planned change.
type Change struct {
	Address         string `json:"address"`
	PreviousAddress string `json:"previous_address,omitempty"`
	Type            string `json:"type"`
	Action          string `json:"action"`
	// Reason is Terraform's action reason (e.g. replace_because_tainted).
	Reason string `json:"reason,omitempty"`
	// Stateful resources hold data that a destroy loses (databases, tables,
	// buckets, volumes, KMS keys, log groups...).
	Stateful bool   `json:"stateful,omitempty"`
	Import   bool   `json:"import,omitempty"`
	Attrs    []Attr `json:"attrs,omitempty"`
}

// Destructive reports a destroy or a replacement.
func (c *Change) Destructive() bool { return c.Action == ActionDelete || c.Action == ActionReplace }

// OutputChange is a root output's planned change.
type OutputChange struct {
	Name   string `json:"name"`
	Action string `json:"action"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// StackSummary is the review of one stack's plan.
type StackSummary struct {
	Stack   string         `json:"stack"`
	Counts  Counts         `json:"counts"`
	Changes []Change       `json:"changes"`
	Outputs []OutputChange `json:"outputs,omitempty"`
	// Drift lists resources Terraform found changed outside Terraform.
	Drift []string `json:"drift,omitempty"`
}

// HasChanges reports planned resource or output changes.
func (s *StackSummary) HasChanges() bool {
	return s != nil && (len(s.Changes) > 0 || len(s.Outputs) > 0)
}

// Destructive returns the destroys and replacements.
func (s *StackSummary) Destructive() []Change {
	var out []Change
	for _, c := range s.Changes {
		if c.Destructive() {
			out = append(out, c)
		}
	}
	return out
}

// statefulTypes hold data a destroy or replacement loses.
var statefulTypes = regexp.MustCompile(`^aws_(db_instance|rds_cluster|rds_global_cluster|dynamodb_table|dynamodb_global_table|s3_bucket|ebs_volume|efs_file_system|fsx_[a-z_]+_file_system|kms_key|kms_replica_key|cloudwatch_log_group|elasticache_cluster|elasticache_replication_group|memorydb_cluster|docdb_cluster|neptune_cluster|redshift_cluster|redshiftserverless_namespace|opensearch_domain|elasticsearch_domain|secretsmanager_secret|ssm_parameter|ecr_repository|sqs_queue|kinesis_stream|msk_cluster|backup_vault|glacier_vault|timestreamwrite_table|keyspaces_table|qldb_ledger|cognito_user_pool|route53_zone|acmpca_certificate_authority)$`)

// Stateful reports whether resources of type typ hold data.
func Stateful(typ string) bool { return statefulTypes.MatchString(typ) }

// Summarize reviews a masked plan JSON (see Mask) of one stack.
func Summarize(stackID string, maskedPlan []byte) (*StackSummary, error) {
	var p tfjson.Plan
	p.UseJSONNumber(true)
	if err := json.Unmarshal(maskedPlan, &p); err != nil {
		return nil, fmt.Errorf("read plan JSON of %s: %w", stackID, err)
	}
	s := &StackSummary{Stack: stackID, Changes: []Change{}}
	for _, rc := range p.ResourceChanges {
		c, ok := summarizeChange(rc)
		if !ok {
			continue
		}
		s.Changes = append(s.Changes, c)
		switch c.Action {
		case ActionCreate:
			s.Counts.Add++
		case ActionUpdate:
			s.Counts.Change++
		case ActionDelete:
			s.Counts.Destroy++
		case ActionReplace:
			s.Counts.Replace++
		case ActionForget:
			s.Counts.Forget++
		case ActionImport:
			s.Counts.Import++
		case ActionMove:
			s.Counts.Move++
		}
	}
	sortChanges(s.Changes)
	names := make([]string, 0, len(p.OutputChanges))
	for name := range p.OutputChanges {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ch := p.OutputChanges[name]
		if ch == nil || ch.Actions.NoOp() || len(ch.Actions) == 0 {
			continue
		}
		oc := OutputChange{Name: name, Action: actionOf(ch.Actions)}
		if !ch.Actions.Create() {
			oc.Before = render(ch.Before)
		}
		if !ch.Actions.Delete() || ch.Actions.Replace() {
			if ch.AfterUnknown == true {
				oc.After = Unknown
			} else {
				oc.After = render(ch.After)
			}
		}
		s.Outputs = append(s.Outputs, oc)
	}
	// Like Terraform, report only drift the plan depends on.
	relevant := map[string]bool{}
	for _, ra := range p.RelevantAttributes {
		relevant[ra.Resource] = true
	}
	for _, d := range p.ResourceDrift {
		if d != nil && d.Change != nil && !d.Change.Actions.NoOp() && relevant[d.Address] {
			s.Drift = append(s.Drift, d.Address)
		}
	}
	sort.Strings(s.Drift)
	return s, nil
}

func actionOf(a tfjson.Actions) string {
	switch {
	case a.Replace():
		return ActionReplace
	case a.Create():
		return ActionCreate
	case a.Update():
		return ActionUpdate
	case a.Delete():
		return ActionDelete
	case a.Read():
		return ActionRead
	case a.Forget():
		return ActionForget
	}
	return "no-op"
}

func summarizeChange(rc *tfjson.ResourceChange) (Change, bool) {
	if rc == nil || rc.Change == nil {
		return Change{}, false
	}
	ch := rc.Change
	c := Change{Address: rc.Address, Type: rc.Type, Reason: string(rc.ActionReason), Import: ch.Importing != nil}
	if rc.PreviousAddress != "" && rc.PreviousAddress != rc.Address {
		c.PreviousAddress = rc.PreviousAddress
	}
	c.Action = actionOf(ch.Actions)
	switch c.Action {
	case ActionRead:
		return Change{}, false // data sources read during apply: not a change
	case "no-op":
		switch {
		case c.Import:
			c.Action = ActionImport
		case c.PreviousAddress != "":
			c.Action = ActionMove
		default:
			return Change{}, false
		}
	}
	if rc.Mode == tfjson.DataResourceMode {
		return Change{}, false
	}
	c.Stateful = Stateful(rc.Type)
	forces := map[string]bool{}
	for _, p := range ch.ReplacePaths {
		if steps, ok := p.([]any); ok {
			forces[pathString(steps)] = true
		}
	}
	switch c.Action {
	case ActionDelete, ActionForget:
		// The whole resource goes; attribute detail adds nothing.
	case ActionCreate:
		c.Attrs = diffAttrs(nil, ch.After, ch.AfterUnknown, forces, false)
	default:
		c.Attrs = diffAttrs(ch.Before, ch.After, ch.AfterUnknown, forces, true)
	}
	return c, true
}

// sortChanges puts destroys and replacements first (stateful ones first of
// all), then the rest, each by address.
func sortChanges(cs []Change) {
	rank := func(c Change) int {
		switch {
		case c.Destructive() && c.Stateful:
			return 0
		case c.Destructive():
			return 1
		}
		return 2
	}
	slices.SortStableFunc(cs, func(a, b Change) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a.Address, b.Address))
	})
}

// diffAttrs flattens before and after into leaf paths and returns the
// differing ones (all non-null ones for a create), sorted by path.
func diffAttrs(before, after, unknown any, forces map[string]bool, update bool) []Attr {
	b := map[string]string{}
	a := map[string]string{}
	if update {
		flatten(before, nil, b)
	}
	flatten(after, nil, a)
	unk := map[string]bool{}
	flattenUnknown(unknown, nil, unk)
	for p := range unk {
		a[p] = Unknown
		// An unknown container replaces its known leaves, before and after.
		for _, m := range []map[string]string{a, b} {
			for k := range m {
				if strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[") {
					delete(m, k)
				}
			}
		}
	}
	paths := map[string]bool{}
	for p := range a {
		paths[p] = true
	}
	for p := range b {
		paths[p] = true
	}
	var out []Attr
	for p := range paths {
		bv, av := b[p], a[p]
		if bv == av && !forces[p] {
			continue
		}
		if !update && (av == "" || av == "null" || av == "[]" || av == "{}") {
			continue
		}
		if bv == "null" {
			bv = ""
		}
		if av == "null" {
			av = ""
		}
		if bv == av {
			continue
		}
		out = append(out, Attr{Path: p, Before: bv, After: av, ForcesReplacement: forces[p]})
	}
	slices.SortFunc(out, func(x, y Attr) int { return strings.Compare(x.Path, y.Path) })
	return out
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func joinKey(path []string, key string) []string {
	if identRe.MatchString(key) {
		if len(path) == 0 {
			return []string{key}
		}
		return append(slices.Clone(path), "."+key)
	}
	return append(slices.Clone(path), "["+strconv.Quote(key)+"]")
}

func joinIndex(path []string, i int) []string {
	return append(slices.Clone(path), "["+strconv.Itoa(i)+"]")
}

func pathString(steps []any) string {
	var path []string
	for _, s := range steps {
		switch t := s.(type) {
		case string:
			path = joinKey(path, t)
		case json.Number:
			if i, err := t.Int64(); err == nil {
				path = joinIndex(path, int(i))
			}
		case float64:
			path = joinIndex(path, int(t))
		}
	}
	return strings.Join(path, "")
}

// flatten records the leaves of v by path. Empty objects and lists are
// leaves ("{}", "[]"), so adding or emptying one shows.
func flatten(v any, path []string, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 && len(path) > 0 {
			out[strings.Join(path, "")] = "{}"
		}
		for k, x := range t {
			flatten(x, joinKey(path, k), out)
		}
	case []any:
		if len(t) == 0 && len(path) > 0 {
			out[strings.Join(path, "")] = "[]"
		}
		for i, x := range t {
			flatten(x, joinIndex(path, i), out)
		}
	default:
		if len(path) > 0 {
			out[strings.Join(path, "")] = render(v)
		}
	}
}

func flattenUnknown(v any, path []string, out map[string]bool) {
	switch t := v.(type) {
	case bool:
		if t && len(path) > 0 {
			out[strings.Join(path, "")] = true
		}
	case map[string]any:
		for k, x := range t {
			flattenUnknown(x, joinKey(path, k), out)
		}
	case []any:
		for i, x := range t {
			flattenUnknown(x, joinIndex(path, i), out)
		}
	}
}

// render shows a value as JSON text; masks stay as they are.
func render(v any) string {
	if s, ok := v.(string); ok && (s == Masked || s == MaskedChanged || strings.HasPrefix(s, "(masked: ")) {
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
