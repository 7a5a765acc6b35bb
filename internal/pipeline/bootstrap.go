package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/tfconfig"
)

// BootstrapParams configure Bootstrap.
type BootstrapParams struct {
	Env string
	// Yes applies changes in an environment that needs approval (there,
	// without it, Bootstrap only plans and says what it would change).
	Yes     bool
	Command string
}

// BootstrapResult says what Bootstrap did.
type BootstrapResult struct {
	Run    *store.Run
	Report *review.Report
	// Outputs are the bucket, lock table and key (nil until applied once).
	Outputs *BootstrapOutputs
	// Changed is set when the bootstrap stack changed something.
	Changed bool
	// NeedsConfirmation: there are changes, the environment needs approval,
	// and Yes was not given; nothing was applied.
	NeedsConfirmation bool
	// StatePath is where the bootstrap stack's own state is kept.
	StatePath string
	// Migrated lists the stacks whose local state moved to the bucket.
	Migrated []MigratedState

	summary *review.StackSummary
}

// MigratedState is one stack's local state moved into its backend.
type MigratedState struct {
	Stack  string `json:"stack"`
	Backup string `json:"backup"`
	Note   string `json:"note"`
}

// Bootstrap makes an environment's remote state (M13, rollout step 1):
// it applies bootstrap/<env> (the state bucket, versioned and encrypted,
// and the lock table) with local state kept in
// .vigil/bootstrap/<env>/terraform.tfstate, outside the repository, and
// records the bucket and table in .vigil/bootstrap/<env>/outputs.json,
// from which the backend settings a stack leaves out are derived. It is
// idempotent: a second run plans no changes. Then each live stack of the
// environment that still has a local terraform.tfstate has it copied into
// its backend with `terraform state push` (never over an existing remote
// state of another lineage); the local file is kept, renamed
// terraform.tfstate.migrated-by-vigil, and a backup is kept under
// .vigil/backups.
func (p *Pipeline) Bootstrap(ctx context.Context, prm BootstrapParams) (*BootstrapResult, error) {
	if prm.Command == "" {
		prm.Command = "vigil bootstrap"
	}
	env, err := p.env(prm.Env)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(p.cfg.Root, "bootstrap", env.Name)
	if !isDir(dir) {
		return nil, fmt.Errorf("no bootstrap/%s folder: vigil bootstrap applies the Terraform configuration there (the state bucket and lock table of %s; see blueprint/bootstrap/dev)", env.Name, env.Name)
	}
	if p.tc == nil {
		return nil, errors.New("pipeline: no terraform toolchain")
	}
	runID := NewRunID(p.p.Now())
	release, err := p.lockEnv(ctx, env.Name, runID, prm.Command)
	if err != nil {
		return nil, err
	}
	defer release()
	tgt, err := p.Target(ctx, env.Name)
	if err != nil {
		return nil, err
	}
	src, _ := readSource(ctx, p.cfg.Root, nil)
	run := store.Run{ID: runID, Env: env.Name, Kind: KindBootstrap, Status: store.RunRunning, Target: tgt.Kind, Commit: src.String(),
		Author: p.p.Identity.User, Host: p.p.Identity.Host, PID: p.p.Identity.PID, Wave: 1}
	if _, err := p.st.RunInsert(ctx, &store.RunInsertParams{Run: run, Audit: p.event(ActionBootstrap, "started", nil)}); err != nil {
		return nil, err
	}
	res, err := p.bootstrap(ctx, &run, prm, tgt, dir)
	status, msg := store.RunApplied, ""
	switch {
	case err != nil:
		status, msg = store.RunFailed, review.MaskText(err.Error())
	case res.NeedsConfirmation:
		status, msg = store.RunPlanned, "not applied: environment "+env.Name+" needs approval; rerun vigil bootstrap with --yes to apply"
	case !res.Changed:
		status = store.RunNoChanges
	}
	var sb []byte
	if res != nil && res.summary != nil {
		sb, _ = json.Marshal(runSummary{Source: src, Totals: res.summary.Counts})
	}
	updated, uerr := p.st.RunUpdate(context.WithoutCancel(ctx), &store.RunUpdateParams{ID: runID, Status: status, Message: &msg, Summary: sb,
		Audit: p.event(ActionBootstrap, status, nil)})
	if err != nil {
		return res, err
	}
	if uerr != nil {
		return res, uerr
	}
	res.Run = updated
	res.Report, _ = p.Report(ctx, runID)
	return res, nil
}

func (p *Pipeline) bootstrap(ctx context.Context, run *store.Run, prm BootstrapParams, tgt *target.Target, dir string) (*BootstrapResult, error) {
	env, _ := p.env(prm.Env)
	res := &BootstrapResult{}
	stackID := env.Name + "/bootstrap"
	mod, err := tfconfig.LoadModule(dir)
	if err != nil {
		return res, err
	}
	var stateOpt []terraform.StateOption
	if mod.Backend == nil || mod.Backend.Type == "local" {
		// Local state, kept under .vigil, never in the repository.
		res.StatePath = filepath.Join(p.bootstrapDir(env.Name), "terraform.tfstate")
		if err := adoptLocalState(dir, res.StatePath); err != nil {
			return res, err
		}
		stateOpt = []terraform.StateOption{terraform.StatePath(res.StatePath)}
	}
	if err := p.tc.Prepare(ctx, []string{dir}); err != nil {
		return res, err
	}
	r := p.tc.Runner(dir).WithDataDir(filepath.Join(p.cfg.StateDir(), "tfdata-backend", "bootstrap", env.Name)).WithEnv(tgt.Env)
	if err := r.Init(ctx, terraform.Reuse(true)); err != nil {
		return res, err
	}
	out := filepath.Join(p.RunDir(run.ID), env.Name, "bootstrap")
	if err := os.MkdirAll(out, 0o700); err != nil {
		return res, err
	}
	planPath := filepath.Join(out, PlanFileName)
	var log bytes.Buffer
	planOpts := []terraform.PlanOption{terraform.LockTimeout(0), terraform.Log(&log)}
	applyOpts := []terraform.ApplyOption{terraform.LockTimeout(0)}
	if res.StatePath != "" {
		planOpts = append(planOpts, terraform.StatePath(res.StatePath))
		applyOpts = append(applyOpts, terraform.StatePath(res.StatePath))
	}
	p.emit(Event{RunID: run.ID, Stack: stackID, Phase: "plan"})
	start := time.Now()
	changes, err := r.Plan(ctx, planPath, planOpts...)
	if err != nil {
		_ = writeLog(filepath.Join(out, PlanLogName), log.Bytes(), nil)
		return res, err
	}
	_ = os.Chmod(planPath, 0o600)
	sec := &review.Secrets{}
	summary := &review.StackSummary{Stack: stackID, Changes: []review.Change{}}
	if changes {
		raw, err := r.ShowPlanJSON(ctx, planPath, nil)
		if err != nil {
			return res, err
		}
		masked, found, err := review.Mask(raw)
		clear(raw)
		if err != nil {
			return res, err
		}
		sec = found
		_ = writeFile(filepath.Join(out, PlanJSONName), masked, 0o600)
		if summary, err = review.Summarize(stackID, masked); err != nil {
			return res, err
		}
	}
	_ = writeLog(filepath.Join(out, PlanLogName), log.Bytes(), sec)
	sj, _ := json.MarshalIndent(summary, "", "  ")
	_ = writeFile(filepath.Join(out, SummaryFileName), sj, 0o600)
	res.summary = summary
	res.Changed = summary.HasChanges()
	status := review.StatusNoChanges
	if res.Changed {
		status = review.StatusChanges
	}
	p.emit(Event{RunID: run.ID, Stack: stackID, Phase: "plan", Done: true, Status: status, Note: summary.Counts.String(), Duration: time.Since(start)})
	sb, _ := json.Marshal(summary)
	rs := store.RunStack{RunID: run.ID, Stack: stackID, Status: status, Summary: sb}
	if res.Changed && env.Approval && !prm.Yes {
		res.NeedsConfirmation = true
		_, err := p.st.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: rs})
		return res, err
	}
	if res.Changed {
		p.emit(Event{RunID: run.ID, Stack: stackID, Phase: "apply"})
		start := time.Now()
		logf, err := os.OpenFile(filepath.Join(out, ApplyLogName), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return res, err
		}
		w := newScrubWriter(logf, sec)
		err = r.Apply(ctx, planPath, append(applyOpts, terraform.Log(w))...)
		_ = w.Flush()
		logf.Close()
		if err != nil {
			rs.Status, rs.Message = review.StatusFailed, sec.Scrub(err.Error())
			_, _ = p.st.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: rs})
			return res, err
		}
		rs.Status = review.StatusApplied
		p.emit(Event{RunID: run.ID, Stack: stackID, Phase: "apply", Done: true, Status: rs.Status, Duration: time.Since(start)})
	}
	if _, err := p.st.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: rs}); err != nil {
		return res, err
	}
	outs, err := r.Outputs(ctx, stateOpt...)
	if err != nil {
		return res, err
	}
	bo := &BootstrapOutputs{}
	_ = json.Unmarshal(outs["bucket"], &bo.Bucket)
	_ = json.Unmarshal(outs["lock_table"], &bo.LockTable)
	_ = json.Unmarshal(outs["kms_key_arn"], &bo.KMSKeyARN)
	if bo.Bucket != "" {
		b, _ := json.MarshalIndent(bo, "", "  ")
		if err := writeFile(filepath.Join(p.bootstrapDir(env.Name), "outputs.json"), append(b, '\n'), 0o644); err != nil {
			return res, err
		}
		res.Outputs = bo
	}
	res.Migrated, err = p.migrateLocalStates(ctx, run.ID, env.Name, tgt)
	return res, err
}

// adoptLocalState copies a terraform.tfstate left in the bootstrap folder
// (by a manual `terraform apply` there) to vigil's state path, once; the
// original stays where it is.
func adoptLocalState(dir, statePath string) error {
	legacy := filepath.Join(dir, "terraform.tfstate")
	if _, err := os.Stat(statePath); err == nil {
		return nil
	}
	if _, err := os.Stat(legacy); err != nil {
		return nil
	}
	return copyFile(legacy, statePath, 0o600)
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// MigratedSuffix is appended to a stack's local state file once its
// content is in the backend.
const MigratedSuffix = ".migrated-by-vigil"

// migrateLocalStates pushes each live stack's local terraform.tfstate into
// its backend.
func (p *Pipeline) migrateLocalStates(ctx context.Context, runID, env string, tgt *target.Target) ([]MigratedState, error) {
	e, _ := p.env(env)
	var out []MigratedState
	for _, s := range p.graph.Env(env) {
		local := filepath.Join(s.Dir, "terraform.tfstate")
		data, err := os.ReadFile(local)
		if err != nil {
			continue
		}
		if typ, _ := backendAttrs(s.Dir); typ == "" || typ == "local" {
			continue // the stack keeps local state on purpose
		}
		var meta struct {
			Lineage string `json:"lineage"`
			Serial  uint64 `json:"serial"`
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			return out, fmt.Errorf("%s/terraform.tfstate is not a state file (%v): move it away or fix it, then bootstrap again", s.Path, err)
		}
		backup := filepath.Join(p.cfg.StateDir(), "backups", s.Env, s.Layer, "terraform.tfstate."+runID)
		if err := copyFile(local, backup, 0o600); err != nil {
			return out, err
		}
		aside := local + ".vigil-migrating"
		if err := os.Rename(local, aside); err != nil {
			return out, err
		}
		restore := func() { _ = os.Rename(aside, local) }
		r := p.runner(tgt, s)
		if err := p.initStack(ctx, r, s, e); err != nil {
			restore()
			return out, fmt.Errorf("migrate the local state of %s: %w", s.ID(), err)
		}
		remote, err := r.StatePull(ctx)
		if err != nil {
			restore()
			return out, fmt.Errorf("migrate the local state of %s: %w", s.ID(), err)
		}
		m := MigratedState{Stack: s.ID(), Backup: p.tc.Rel(backup)}
		switch {
		case !remote.Exists:
			want, err := terraform.CountStateInstances(data)
			if err != nil {
				restore()
				return out, fmt.Errorf("%s/terraform.tfstate: %w", s.Path, err)
			}
			if err := r.StatePush(ctx, backup, false); err != nil {
				restore()
				return out, fmt.Errorf("migrate the local state of %s: %w", s.ID(), err)
			}
			got, err := r.StateResources(ctx)
			if err != nil || got != want {
				restore()
				if err == nil {
					err = fmt.Errorf("it holds %d resource instances, the file %d", got, want)
				}
				return out, fmt.Errorf("migrate the local state of %s: the backend does not hold it after the push (%v); the local file is untouched", s.ID(), err)
			}
			// Terraform gives a state pushed into an empty backend a new
			// lineage; its content is what matters.
			m.Note = fmt.Sprintf("pushed its %d resource instance(s) into the backend", got)
		case remote.Lineage == meta.Lineage && remote.Serial >= meta.Serial:
			m.Note = "the backend already holds this state (same lineage, serial " + fmt.Sprint(remote.Serial) + ")"
		default:
			restore()
			return out, fmt.Errorf("%s has a local terraform.tfstate (lineage %s serial %d) and its backend already holds a different state (%s): vigil does not overwrite either; compare them and keep one by hand (terraform state pull / push)", s.ID(), meta.Lineage, meta.Serial, remote)
		}
		if err := os.Rename(aside, local+MigratedSuffix); err != nil {
			return out, err
		}
		_, _ = p.st.AuditAppend(ctx, &store.AuditAppendParams{Event: *p.withRun(p.event(ActionMigrate, "migrated", m), runID)})
		out = append(out, m)
	}
	return out, nil
}
