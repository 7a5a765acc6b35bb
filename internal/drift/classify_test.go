package drift

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/review"
)

// The fixtures in testdata/plans are real `terraform show -json` outputs
// (Terraform 1.11, AWS provider 5.100) of the stacks in testdata/repo
// against the sandbox, except sensitive.json, written by hand. The
// .tfstate and .tfstate-prev files are the two states of the same saved
// plans.

func loadPlan(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "plans", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func classifyJSON(t *testing.T, raw []byte) (drift, pending []Finding) {
	t.Helper()
	masked, _, err := review.Mask(raw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePlan(masked)
	if err != nil {
		t.Fatal(err)
	}
	return Classify(p)
}

func TestClassify(t *testing.T) {
	const alarm = "aws_cloudwatch_metric_alarm.errors"
	tests := []struct {
		name        string
		plan        string
		wantDrift   []Finding
		wantPending []Finding
	}{
		{
			name: "changed out of band: the plan only reverts it",
			plan: "changed-out-of-band.json",
			wantDrift: []Finding{
				{Kind: KindChanged, Address: alarm, Type: "aws_cloudwatch_metric_alarm", Attribute: "threshold", Before: "25", After: "50"},
			},
		},
		{
			name: "deleted out of band: the re-creation is not pending code",
			plan: "deleted-out-of-band.json",
			wantDrift: []Finding{
				{Kind: KindDeleted, Address: "aws_cloudwatch_metric_alarm.latency", Type: "aws_cloudwatch_metric_alarm", Before: `"test-latency"`},
			},
		},
		{
			name: "drift and code changes on the same resource are told apart",
			plan: "drift-and-code.json",
			wantDrift: []Finding{
				{Kind: KindChanged, Address: alarm, Type: "aws_cloudwatch_metric_alarm", Attribute: "threshold", Before: "25", After: "50"},
			},
			wantPending: []Finding{
				{Kind: KindPending, Address: alarm, Type: "aws_cloudwatch_metric_alarm", Action: "update", Attrs: []Attr{{Path: "threshold", Before: "50", After: "30"}}},
				{Kind: KindPending, Address: "aws_sns_topic.extra", Type: "aws_sns_topic", Action: "create"},
				{Kind: KindPending, Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Action: "update", Attrs: []Attr{{Path: "display_name", Before: `"pager"`, After: `"Pager"`}}},
			},
		},
		{
			name: "drift the code does not manage is not reported",
			plan: "not-in-code.json",
			wantDrift: []Finding{
				{Kind: KindChanged, Address: "aws_security_group.alb", Type: "aws_security_group", Attribute: "tags.owner", Before: `"platform"`, After: `"someone-else"`},
			},
		},
		{
			name: "sensitive values are masked, a change still shows",
			plan: "sensitive.json",
			wantDrift: []Finding{
				{Kind: KindChanged, Address: "module.db.aws_db_instance.main", Type: "aws_db_instance", Attribute: "instance_class", Before: `"db.t3.micro"`, After: `"db.t3.large"`},
				{Kind: KindChanged, Address: "module.db.aws_db_instance.main", Type: "aws_db_instance", Attribute: "password", Before: review.Masked, After: review.MaskedChanged},
				{Kind: KindChanged, Address: "module.db.aws_db_instance.main", Type: "aws_db_instance", Attribute: "tags.owner", After: `"console"`},
				{Kind: KindChanged, Address: "module.db.aws_db_instance.main", Type: "aws_db_instance", Attribute: "tags_all.owner", After: `"console"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := loadPlan(t, tt.plan)
			drift, pending := classifyJSON(t, raw)
			if !reflect.DeepEqual(drift, tt.wantDrift) {
				t.Errorf("drift:\n%s\nwant:\n%s", dump(drift), dump(tt.wantDrift))
			}
			if !reflect.DeepEqual(pending, tt.wantPending) {
				t.Errorf("pending:\n%s\nwant:\n%s", dump(pending), dump(tt.wantPending))
			}
			out := dump(append(drift, pending...))
			for _, secret := range []string{"hunter2-old-secret", "s3cr3t-new-value!"} {
				if strings.Contains(out, secret) {
					t.Errorf("a sensitive value leaked into the findings: %s", out)
				}
			}
		})
	}
}

// TestManagedFromPlanStates: the unmanaged check's view of a stack comes
// from the two states inside the saved plan (refreshed and previous), so
// a resource deleted out of band still counts as the stack's.
func TestManagedFromPlanStates(t *testing.T) {
	m := newManaged()
	for _, f := range []string{"deleted-out-of-band.tfstate", "deleted-out-of-band.tfstate-prev"} {
		if err := m.addState(loadPlan(t, f)); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []Resource{
		{Type: "aws_sns_topic", ID: "arn:aws:sns:us-east-1:123456789012:test-watch", ARN: "arn:aws:sns:us-east-1:123456789012:test-watch"},
		{Type: "aws_cloudwatch_metric_alarm", ID: "test-latency", ARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:test-latency"},
	} {
		if !m.has(r) {
			t.Errorf("%s %s is not managed", r.Type, r.ID)
		}
	}
	if m.has(Resource{Type: "aws_sns_topic", ID: "arn:aws:sns:us-east-1:123456789012:test-pager", ARN: "arn:aws:sns:us-east-1:123456789012:test-pager"}) {
		t.Error("another stack's topic counts as this stack's")
	}
	if _, _, err := parseState([]byte(`{"version":3}`)); err == nil {
		t.Error("a version 3 state was accepted")
	}
}

func TestDiffValuesNoise(t *testing.T) {
	tests := []struct {
		name          string
		before, after any
		want          []Attr
	}{
		{"null and empty are the same", map[string]any{"a": nil, "b": "", "c": []any{}, "d": map[string]any{}}, map[string]any{"a": map[string]any{}, "b": nil, "c": nil, "d": []any{}}, nil},
		{"nested key", map[string]any{"tags": map[string]any{"vigil:env": "dev"}}, map[string]any{"tags": map[string]any{"vigil:env": "prod"}},
			[]Attr{{Path: `tags["vigil:env"]`, Before: `"dev"`, After: `"prod"`}}},
		{"list element", map[string]any{"ingress": []any{map[string]any{"cidr": "10.0.0.0/8"}}}, map[string]any{"ingress": []any{map[string]any{"cidr": "0.0.0.0/0"}}},
			[]Attr{{Path: "ingress[0].cidr", Before: `"10.0.0.0/8"`, After: `"0.0.0.0/0"`}}},
		{"removed value", map[string]any{"x": "1"}, map[string]any{"x": ""}, []Attr{{Path: "x", Before: `"1"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := diffValues(tt.before, tt.after, nil); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("diffValues = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
