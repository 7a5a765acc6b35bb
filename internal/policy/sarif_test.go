package policy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/vigil-sre/vigil/internal/policy"
)

// The schema is the OASIS SARIF 2.1.0 schema (sarif-2.1/schema/ in
// oasis-tcs/sarif-spec), vendored.
const sarifSchemaID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(sarifSchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(sarifSchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	schema := sarifSchema(t)
	tests := []struct {
		name   string
		params policy.ScanParams
	}{
		{"bad corpus", policy.ScanParams{Paths: []string{"testdata/bad"}, NoRego: true}},
		{"clean", policy.ScanParams{Paths: []string{"testdata/clean"}, NoRego: true}},
		{"errors, plan and rego", policy.ScanParams{
			Paths: []string{"testdata/malformed", "testdata/rego/stack", "testdata/plan/stack"}, PlanFile: "testdata/plan/plan.json",
			Config: policy.Config{PolicyDirs: []string{"testdata/rego/policy"}, Ignore: []policy.Ignore{{Rule: "VGL-S012", Reason: "demo"}}},
		}},
		{"corrupt plan", policy.ScanParams{Paths: []string{"testdata/clean"}, PlanFile: "testdata/plan/corrupt.json", NoRego: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := scan(t, &tt.params)
			var buf bytes.Buffer
			if err := policy.WriteSARIF(&buf, rep); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Fatalf("SARIF does not validate: %v\n%s", err, buf.String())
			}
			// Spot-check what GitHub code scanning reads.
			var log struct {
				Runs []struct {
					Tool struct {
						Driver struct {
							Rules []struct {
								ID   string `json:"id"`
								Help struct {
									Text string `json:"text"`
								} `json:"help"`
								Properties map[string]any `json:"properties"`
							} `json:"rules"`
						} `json:"driver"`
					} `json:"tool"`
					Results []struct {
						RuleID    string `json:"ruleId"`
						RuleIndex int    `json:"ruleIndex"`
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct {
									URI string `json:"uri"`
								} `json:"artifactLocation"`
								Region struct {
									StartLine int `json:"startLine"`
								} `json:"region"`
							} `json:"physicalLocation"`
						} `json:"locations"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			run := log.Runs[0]
			if len(run.Tool.Driver.Rules) < 30 {
				t.Errorf("%d rules in the driver", len(run.Tool.Driver.Rules))
			}
			for _, r := range run.Results {
				if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
					t.Errorf("ruleIndex %d of %s points at %s", r.RuleIndex, r.RuleID, run.Tool.Driver.Rules[r.RuleIndex].ID)
				}
				uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
				if strings.HasPrefix(uri, "/") || strings.Contains(uri, "\\") {
					t.Errorf("uri %q is not relative to %%SRCROOT%%", uri)
				}
			}
		})
	}
}

// TestSARIFSchemaRejects makes sure the validator is really checking.
func TestSARIFSchemaRejects(t *testing.T) {
	t.Parallel()
	schema := sarifSchema(t)
	for _, doc := range []string{
		`{"version": "2.1.0"}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "vigil"}}, "results": [{"message": {"text": "x"}, "level": "fatal"}]}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err == nil {
			t.Errorf("schema accepted %s", doc)
		}
	}
}
