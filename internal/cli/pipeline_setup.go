package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
)

// This file wires the gated pipeline's verbs (bootstrap, plan, show,
// approve, apply, runs, audit, unlock, up) to package pipeline.

// StoreFileName is the store of a repository, under .vigil/.
const StoreFileName = "vigil.db"

// EnvRemediatorZip names the remediator Lambda zip vigil passes to stacks
// that declare lambda_zip_path; default .vigil/build/remediator.zip.
const EnvRemediatorZip = "VIGIL_REMEDIATOR_ZIP"

// PipelineSetup says what a verb needs from the pipeline it opens.
type PipelineSetup struct {
	// Terraform builds the toolchain (verbs that run terraform).
	Terraform bool
	// TargetOverride is --target.
	TargetOverride string
	// LockTimeout is --lock-timeout.
	LockTimeout time.Duration
	// Parallelism is --parallelism (0: default).
	Parallelism int
	// Progress reports stack events (nil: none).
	Progress func(pipeline.Event)
}

// OpenPipeline opens the repository's pipeline; the returned func closes
// it (and stops a sandbox it started).
type OpenPipeline func(ctx context.Context, s PipelineSetup) (*pipeline.Pipeline, func(), error)

// openPipelineFunc is the real OpenPipeline of a Factory.
func openPipelineFunc(f *Factory) OpenPipeline {
	return func(ctx context.Context, s PipelineSetup) (*pipeline.Pipeline, func(), error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, nil, err
		}
		g, err := stack.Load(cfg)
		if err != nil {
			return nil, nil, err
		}
		st, err := sqlite.Open(filepath.Join(cfg.StateDir(), StoreFileName))
		if err != nil {
			return nil, nil, err
		}
		p := pipeline.Params{Config: cfg, Graph: g, Store: st, TargetOverride: s.TargetOverride,
			LockTimeout: s.LockTimeout, Parallelism: s.Parallelism, Progress: s.Progress,
			Logger: newLogger(f.IOStreams, slog.LevelWarn), Vars: pipelineVars(cfg)}
		if s.Terraform {
			if p.Terraform, err = f.Terraform(ctx); err != nil {
				st.Close()
				return nil, nil, err
			}
			pcfg, err := policyConfig(cfg)
			if err != nil {
				st.Close()
				return nil, nil, err
			}
			p.Policy = pipeline.NewPolicyGate(pcfg)
		}
		pl, err := pipeline.New(p)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		closeFn := func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			_ = pl.Close(ctx)
			_ = st.Close()
		}
		return pl, closeFn, nil
	}
}

// pipelineVars are the -var values vigil passes to the stacks that
// declare them: lambda_zip_path, the remediator zip, from
// $VIGIL_REMEDIATOR_ZIP or .vigil/build/remediator.zip when it exists.
func pipelineVars(cfg *config.Config) map[string]string {
	vars := map[string]string{}
	zip := os.Getenv(EnvRemediatorZip)
	if zip == "" {
		if p := filepath.Join(cfg.StateDir(), "build", "remediator.zip"); fileExists(p) {
			zip = p
		}
	}
	if zip != "" {
		if abs, err := filepath.Abs(zip); err == nil {
			zip = abs
		}
		vars["lambda_zip_path"] = zip
	}
	return vars
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// pipelineProgress prints stack events on ErrOut: one rewritten line on a
// terminal, a plain line per finished step otherwise.
type pipelineProgress struct {
	mu      sync.Mutex
	ios     *iostreams.IOStreams
	tty     bool
	running []string
	active  bool
}

func newPipelineProgress(ios *iostreams.IOStreams) *pipelineProgress {
	return &pipelineProgress{ios: ios, tty: ios.IsStderrTTY()}
}

var phaseVerb = map[string][2]string{
	"plan":  {"planning", "planned"},
	"apply": {"applying", "applied"},
	"check": {"checking", "checked"},
	"init":  {"initialising", "initialised"},
}

func (p *pipelineProgress) event(ev pipeline.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	verbs, ok := phaseVerb[ev.Phase]
	if !ok {
		verbs = [2]string{ev.Phase, ev.Phase}
	}
	key := verbs[0] + " " + ev.Stack
	if !ev.Done {
		p.running = append(p.running, key)
	} else {
		for i, r := range p.running {
			if r == key {
				p.running = append(p.running[:i], p.running[i+1:]...)
				break
			}
		}
	}
	if p.tty {
		line := strings.Join(p.running, ", ")
		if ev.Done {
			fmt.Fprintf(p.ios.ErrOut, "\r\x1b[K%s %s: %s (%.1fs)\n", verbs[1], ev.Stack, doneNote(ev), ev.Duration.Seconds())
		}
		if line != "" {
			fmt.Fprintf(p.ios.ErrOut, "\r\x1b[K%s…", line)
			p.active = true
		} else if p.active {
			fmt.Fprint(p.ios.ErrOut, "\r\x1b[K")
			p.active = false
		}
		return
	}
	if ev.Done {
		fmt.Fprintf(p.ios.ErrOut, "%s %s: %s (%.1fs)\n", verbs[1], ev.Stack, doneNote(ev), ev.Duration.Seconds())
	}
}

func doneNote(ev pipeline.Event) string {
	s := ev.Status
	if ev.Note != "" {
		note := ev.Note
		if i := strings.IndexByte(note, '\n'); i >= 0 {
			note = note[:i] + " …"
		}
		s += ", " + note
	}
	return s
}

func (p *pipelineProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.active {
		fmt.Fprint(p.ios.ErrOut, "\r\x1b[K")
	}
}

// writeReport prints a run's review in the chosen format.
func writeReport(ios *iostreams.IOStreams, rep *review.Report, format string, attrs bool) error {
	switch format {
	case "json":
		return review.WriteJSON(ios.Out, rep)
	case "markdown":
		_, err := fmt.Fprint(ios.Out, review.Markdown(rep))
		return err
	}
	return review.WriteText(ios.Out, rep, review.TextOptions{Attrs: attrs})
}

// outputFormat reads --json / --markdown.
func outputFormat(jsonFlag, markdown bool) (string, error) {
	switch {
	case jsonFlag && markdown:
		return "", flagErrorf("--json and --markdown cannot be combined")
	case jsonFlag:
		return "json", nil
	case markdown:
		return "markdown", nil
	}
	return "text", nil
}

// validTarget checks --target.
func validTarget(t string) error {
	if t != "" && t != config.TargetSandbox && t != config.TargetAWS {
		return flagErrorf("--target must be %q or %q, got %q", config.TargetSandbox, config.TargetAWS, t)
	}
	return nil
}
