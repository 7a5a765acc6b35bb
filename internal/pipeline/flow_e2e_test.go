package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// TestPlanApplyWaves: on a fresh environment the first plan has changes in
// dev/base and reports dev/app as waiting on it; apply applies dev/base,
// then plans and applies dev/app as the next wave; a second plan finds no
// changes.
func TestPlanApplyWaves(t *testing.T) {
	w := newE2E(t, "basic")
	// dev/base kept local state before remote state existed: bootstrap
	// moves it into the bucket, never losing it.
	local := filepath.Join(w.root, "live", "dev", "base", "terraform.tfstate")
	legacy := `{"version":4,"terraform_version":"1.11.4","serial":3,"lineage":"vigil-test-lineage","outputs":{},"resources":[{"mode":"managed","type":"terraform_data","name":"legacy","provider":"provider[\"terraform.io/builtin/terraform\"]","instances":[{"schema_version":0,"attributes":{"id":"6c1b0c3e-6f5e-4a55-2a4c-8f1b3a4a1f00","input":null,"output":null,"triggers_replace":null},"sensitive_attributes":[]}]}],"check_results":null}`
	if err := os.WriteFile(local, []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	boot := w.bootstrap("dev")
	if !boot.Changed || boot.Outputs == nil || boot.Outputs.Bucket != "fx-dev-tfstate" {
		t.Fatalf("bootstrap: %+v", boot)
	}
	if len(boot.Migrated) != 1 || boot.Migrated[0].Stack != "dev/base" {
		t.Fatalf("migrated: %+v", boot.Migrated)
	}
	if _, err := os.Stat(local); !os.IsNotExist(err) {
		t.Errorf("the local state is still in use at %s", local)
	}
	if b, err := os.ReadFile(local + MigratedSuffix); err != nil || string(b) != legacy {
		t.Errorf("the local state was not kept as %s: %v", local+MigratedSuffix, err)
	}
	if b, err := os.ReadFile(filepath.Join(w.root, boot.Migrated[0].Backup)); err != nil || string(b) != legacy {
		t.Errorf("no backup at %s: %v", boot.Migrated[0].Backup, err)
	}
	pl := w.pipeline("ana")
	base, _ := pl.graph.Stack("dev/base")
	tgt, _ := pl.Target(w.ctx(), "dev")
	r := pl.runner(tgt, base)
	if n, err := r.StateResources(w.ctx()); err != nil || n != 1 {
		t.Fatalf("the bucket holds %d resource instances, %v; want the migrated one", n, err)
	}
	if again := w.bootstrap("dev"); again.Changed || again.Run.Status != store.RunNoChanges || len(again.Migrated) != 0 {
		t.Fatalf("second bootstrap changed something: %+v", again)
	}

	pr := w.plan("ana", "dev")
	if pr.Run.Status != store.RunPlanned {
		t.Fatalf("plan status %s: %s", pr.Run.Status, pr.Run.Message)
	}
	want := map[string]string{"dev/base": review.StatusChanges, "dev/app": review.StatusWaiting}
	if got := stackStatuses(pr.Report); !reflect.DeepEqual(got, want) {
		t.Fatalf("stacks = %v, want %v\n%+v", got, want, pr.Report)
	}

	res, err := w.pipeline("ana").Apply(w.ctx(), ApplyParams{RunID: pr.Run.ID})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(res.Runs) != 2 || res.Pending != nil {
		t.Fatalf("apply ran %d runs, pending %+v", len(res.Runs), res.Pending)
	}
	if res.Runs[0].Status != store.RunApplied || res.Runs[1].Status != store.RunApplied || res.Runs[1].Parent != pr.Run.ID || res.Runs[1].Wave != 2 {
		t.Fatalf("runs: %+v / %+v", res.Runs[0], res.Runs[1])
	}
	again := w.plan("ana", "dev")
	if again.Run.Status != store.RunNoChanges {
		t.Fatalf("second plan: %s\n%+v", again.Run.Status, again.Report)
	}
	assertNoSecret(t, filepath.Join(w.root, ".vigil"), "Tr0ub4dor-and-3-horses")
}

// assertNoSecret fails when secret appears in any file under dir except
// Terraform's binary plans (which necessarily hold it; they must be 0600)
// and the bootstrap's local state.
func assertNoSecret(t *testing.T, dir, secret string) {
	t.Helper()
	plans := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if strings.HasSuffix(path, ".tfplan") {
			plans++
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("plan file %s: mode %v, want 0600", path, st.Mode().Perm())
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s holds the secret", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if plans == 0 {
		t.Errorf("no plan files under %s", dir)
	}
}

// TestPlanFmtGate: a file that is not formatted fails the run before any
// plan, naming the file.
func TestPlanFmtGate(t *testing.T) {
	w := newE2E(t, "basic")
	w.edit("live/dev/app/main.tf", "retention_in_days = 7", "retention_in_days    =     7")
	pr := w.plan("ana", "dev")
	if pr.Run.Status != store.RunFailed || !strings.Contains(pr.Run.Message, "live/dev/app/main.tf: not formatted") {
		t.Fatalf("run %s: %s", pr.Run.Status, pr.Run.Message)
	}
	for _, s := range pr.Report.Stacks {
		if s.Status != review.StatusFailed {
			t.Errorf("%s is %s after a failed gate", s.Stack, s.Status)
		}
	}
}
