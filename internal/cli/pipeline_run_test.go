package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
)

// recordedStore is a store holding a planned prod run (one stack with
// changes, one waiting) and an applied dev run, as vigil records them.
func recordedStore(t *testing.T) (OpenPipeline, string) {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "pipeline", "testdata", "repos", "basic", config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Root = t.TempDir() // keep .vigil (locks) out of the fixture
	g, err := stack.Load(mustFixtureConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	sum := &review.StackSummary{Stack: "prod/base", Counts: review.Counts{Add: 1, Change: 1},
		Changes: []review.Change{
			{Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Action: review.ActionUpdate, Attrs: []review.Attr{{Path: "display_name", Before: `"Pager"`, After: `"Pager v2"`}}},
			{Address: "terraform_data.db", Type: "terraform_data", Action: review.ActionCreate, Attrs: []review.Attr{{Path: "input", After: review.Masked}, {Path: "id", After: review.Unknown}}},
		}}
	sb, _ := json.Marshal(sum)
	runSum, _ := json.Marshal(map[string]any{"source": map[string]any{"sources": "sha256:x"}, "totals": sum.Counts,
		"policy": review.PolicyNote{Passed: true, Summary: "1 finding(s), 0 failing the gate"}})
	for _, r := range []store.Run{
		{ID: "20260102-150405-aaaaaa", Env: "dev", Kind: "plan", Status: store.RunApplied, Target: "sandbox", Author: "ana", Wave: 1, CreatedAt: base},
		{ID: "20260102-160000-bbbbbb", Env: "prod", Kind: "plan", Status: store.RunPlanned, Target: "sandbox", Commit: "1a2b3c4d5e6f", Author: "ana",
			Fingerprint: "sha256:f00d", Binding: "sha256:b1", Wave: 1, Summary: runSum, CreatedAt: base.Add(time.Hour)},
	} {
		if _, err := st.RunInsert(ctx, &store.RunInsertParams{Run: r}); err != nil {
			t.Fatal(err)
		}
	}
	for _, rs := range []store.RunStack{
		{RunID: "20260102-160000-bbbbbb", Stack: "prod/base", Status: review.StatusChanges, Summary: sb},
		{RunID: "20260102-160000-bbbbbb", Stack: "prod/app", Status: review.StatusWaiting, Message: "waits on prod/base"},
	} {
		if _, err := st.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: rs}); err != nil {
			t.Fatal(err)
		}
	}
	open := func(ctx context.Context, _ PipelineSetup) (*pipeline.Pipeline, func(), error) {
		pl, err := pipeline.New(pipeline.Params{Config: cfg, Graph: g, Store: st, Identity: pipeline.Identity{User: "test", Host: "h", PID: 1}})
		return pl, func() {}, err
	}
	return open, "20260102-160000-bbbbbb"
}

func mustFixtureConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "pipeline", "testdata", "repos", "basic", config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestShowRun(t *testing.T) {
	open, id := recordedStore(t)
	for _, format := range []string{"text", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			if err := showRun(context.Background(), &ShowOptions{IO: ios, Open: open, RunID: id, Format: format}); err != nil {
				t.Fatal(err)
			}
			assertGolden(t, "show", format, out.String())
		})
	}
	t.Run("unknown run", func(t *testing.T) {
		ios, _, _, _ := iostreams.Test()
		err := showRun(context.Background(), &ShowOptions{IO: ios, Open: open, RunID: "nope", Format: "text"})
		if err == nil || err.Error() != "no run nope: list runs with vigil runs" {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRunsRun(t *testing.T) {
	open, _ := recordedStore(t)
	for _, tt := range []struct {
		name string
		opts RunsOptions
	}{
		{"all", RunsOptions{}},
		{"prod-json", RunsOptions{Env: "prod", JSON: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			o := tt.opts
			o.IO, o.Open = ios, open
			if err := runsRun(context.Background(), &o); err != nil {
				t.Fatal(err)
			}
			assertGolden(t, "runs", tt.name, out.String())
		})
	}
}

func TestApproveRunRefusesRecordsThatChanged(t *testing.T) {
	open, id := recordedStore(t)
	ios, _, _, _ := iostreams.Test()
	// The fixture's binding is not the hash of its records: as if edited.
	err := approveRun(context.Background(), &ApproveOptions{IO: ios, Open: open, RunID: id, By: "bob"})
	if err == nil || !strings.Contains(err.Error(), "stored records no longer match its binding") {
		t.Fatalf("err = %v", err)
	}
	err = approveRun(context.Background(), &ApproveOptions{IO: ios, Open: open, RunID: id, By: "ana"})
	if err == nil || !strings.Contains(err.Error(), "ana authored run") {
		t.Fatalf("self-approval: %v", err)
	}
}
