package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
	"github.com/vigil-sre/vigil/internal/target"
)

func TestNewCmdBacklog(t *testing.T) {
	t.Parallel()
	month := 30 * 24 * time.Hour
	tests := []struct {
		name    string
		args    string
		want    BacklogOptions
		wantErr string
	}{
		{name: "defaults", args: "", want: BacklogOptions{Since: month, Format: "text"}},
		{name: "markdown of prod", args: "--env prod --markdown", want: BacklogOptions{Env: "prod", Since: month, Format: "markdown"}},
		{name: "json, a week", args: "-e dev --since 168h --json", want: BacklogOptions{Env: "dev", Since: 168 * time.Hour, Format: "json"}},
		{name: "log group", args: "--env prod --log-group /aws/lambda/other", want: BacklogOptions{Env: "prod", Since: month, LogGroup: "/aws/lambda/other", Format: "text"}},
		{name: "log group without env", args: "--log-group /aws/lambda/other", wantErr: "--log-group goes with --env"},
		{name: "negative since", args: "--since -1h", wantErr: "--since must not be negative"},
		{name: "both formats", args: "--json --markdown", wantErr: "--json"},
		{name: "no arguments", args: "prod", wantErr: `unknown command "prod" for "backlog"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, Config: fixtureConfig(t, "basic"), Terraform: noTerraform}
			var got *BacklogOptions
			cmd := NewCmdBacklog(f, func(_ context.Context, o *BacklogOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			if got.Config == nil || got.IO == nil {
				t.Error("dependencies not wired")
			}
			got.IO, got.Config = nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// TestBacklogRun lists a store's records: prod/base drifted and was put
// back by hand (derived from the drift reports; vigil serve's record of
// the same fix is not listed twice), a canary incident vigil serve
// recorded, a drift still open (no item). No sandbox runs, so no
// escalations are read, which stderr says.
func TestBacklogRun(t *testing.T) {
	t.Setenv(target.DataDirEnv, t.TempDir())
	repo := t.TempDir()
	hcl := "project = \"fx\"\nlayers = [\"base\", \"app\"]\n\nenvironment \"prod\" {\n  target   = \"sandbox\"\n  approval = true\n}\n"
	if err := os.WriteFile(filepath.Join(repo, config.FileName), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgFn := func() (*config.Config, error) { return config.Load(filepath.Join(repo, config.FileName)) }
	cfg, err := cfgFn()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.StateDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(cfg.StateDir(), StoreFileName))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 3, 17, 0, 0, time.UTC)
	hacked, _ := json.Marshal(drift.StackReport{Stack: "prod/base", Status: drift.StatusDrifted, Drift: []drift.Finding{
		{Kind: drift.KindChanged, Env: "prod", Stack: "prod/base", Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Attribute: "display_name", Before: `"Pager"`, After: `"Hacked"`}}})
	for _, r := range []store.DriftReport{
		{Env: "prod", Stack: "prod/base", Status: store.DriftDrifted, CheckedAt: t0, Findings: 1, Report: hacked},
		{Env: "prod", Stack: "prod/base", Status: store.DriftClean, CheckedAt: t0.Add(24 * time.Hour)},
		{Env: "prod", Stack: "prod/app", Status: store.DriftDrifted, CheckedAt: t0.Add(24 * time.Hour), Findings: 1},
	} {
		if _, err := st.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: r}); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []store.Incident{
		{Kind: store.IncidentDriftFixedHand, Env: "prod", Stack: "prod/base", Title: "prod/base is clean again without an apply: the out-of-band change was reverted by hand",
			Detail: hacked, At: t0.Add(24*time.Hour + 3*time.Minute), Source: "serve/drift"},
		{Kind: store.IncidentDrift, Env: "prod", Stack: "prod/app", Title: "prod/app drifted", At: t0.Add(24*time.Hour + 2*time.Minute), Source: "serve/drift"},
		{Kind: store.IncidentCanary, Env: "prod", Title: "canary checkout failed 3 times in a row", Detail: json.RawMessage(`{"canary":"canary/prod/checkout","status":503}`),
			At: t0.Add(30 * time.Hour), Source: "serve/canary"},
	} {
		if _, err := st.IncidentInsert(ctx, &store.IncidentInsertParams{Incident: in}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ name, format string }{{"text", ""}, {"json", "json"}, {"markdown", "markdown"}} {
		ios, _, stdout, stderr := iostreams.Test()
		err := backlogRun(ctx, &BacklogOptions{IO: ios, Config: cfgFn, Env: "prod", Since: 100 * 365 * 24 * time.Hour, Format: tt.format})
		if err != nil {
			t.Fatalf("%s: %v\n%s", tt.name, err, stderr)
		}
		if !strings.Contains(stderr.String(), "prod: no escalations read: no such log group: prod targets the sandbox and none runs for this repository") {
			t.Errorf("%s: stderr = %q", tt.name, stderr)
		}
		assertGolden(t, "backlog", tt.name, stdout.String())
	}
}
