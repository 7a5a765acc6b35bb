package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	tfjson "github.com/hashicorp/terraform-json"
	"golang.org/x/sync/errgroup"

	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/tfconfig"
)

// CheckParams configures Check.
type CheckParams struct {
	// Root is the repository root; paths in the report are relative to it.
	Root string
	// Stacks to check, in order (the report keeps it).
	Stacks []*stack.Stack
	// Terraform runs the commands.
	Terraform *terraform.Toolchain
	// Parallelism is how many stacks run at once (default runtime.NumCPU()).
	Parallelism int
	// Progress, when set, is called as stacks start and finish; calls may
	// come from several goroutines, one at a time.
	Progress func(CheckEvent)
}

// CheckEvent reports progress.
type CheckEvent struct {
	Stack *stack.Stack
	// Done is false when the stack starts, true when Result is final.
	Done   bool
	Result *StackCheck
}

// CheckReport is the outcome of Check, one entry per stack, in order.
type CheckReport struct {
	Stacks []*StackCheck `json:"stacks"`
}

// OK reports whether no stack has a finding.
func (r *CheckReport) OK() bool {
	return !slices.ContainsFunc(r.Stacks, func(s *StackCheck) bool { return !s.OK() })
}

// Failed counts the stacks with findings.
func (r *CheckReport) Failed() int {
	n := 0
	for _, s := range r.Stacks {
		if !s.OK() {
			n++
		}
	}
	return n
}

// StackCheck is what Check found in one stack.
type StackCheck struct {
	ID    string `json:"id"`
	Env   string `json:"env"`
	Layer string `json:"layer"`
	Path  string `json:"path"`
	// Unformatted are the files `terraform fmt` would change (the stack's
	// and, for the first stack using it, each local module's), relative to
	// the repository root.
	Unformatted []string `json:"unformatted"`
	// Diagnostics are syntax errors and validate's diagnostics.
	Diagnostics []Diagnostic `json:"diagnostics"`
	// Error is set when a step could not run (init failed, lock file
	// mismatch...); it says what to do next.
	Error string `json:"error,omitempty"`
	// LockFile reports whether the stack has a committed .terraform.lock.hcl
	// (a stack without one still passes; init's lock file is removed again).
	LockFile bool `json:"lock_file"`
	// Duration is the wall time spent on the stack.
	Duration time.Duration `json:"-"`
}

// OK reports whether the stack passed: formatted, no error diagnostic, every
// step ran.
func (s *StackCheck) OK() bool {
	return len(s.Unformatted) == 0 && s.Error == "" &&
		!slices.ContainsFunc(s.Diagnostics, func(d Diagnostic) bool { return d.Severity == SeverityError })
}

// Severities of a Diagnostic.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Diagnostic is one problem at a place in a file.
type Diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	// File is relative to the repository root; "" when Terraform gave no place.
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// Pos is "file:line:col", or "" without a file.
func (d Diagnostic) Pos() string {
	if d.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Column)
}

// Check runs the fmt/validate gate (M6) over the stacks: per stack,
// `terraform fmt -check` (the stack and its local modules), `terraform init
// -backend=false` and `terraform validate`. It never touches remote state and
// changes no file outside .vigil/: a committed lock file is used read-only;
// when a stack has none, the one init writes is removed again (and a note
// says to commit one).
//
// The error is for what stops the whole gate (a provider no mirror has and
// the network cannot provide, a cancelled context); findings are in the
// report.
func Check(ctx context.Context, p CheckParams) (*CheckReport, error) {
	if p.Parallelism <= 0 {
		p.Parallelism = runtime.NumCPU()
	}
	report := &CheckReport{Stacks: make([]*StackCheck, len(p.Stacks))}
	// Each local module is fmt-checked once, with the first stack using it.
	fmtDirs := map[string][]string{}
	seen := map[string]bool{}
	dirs := make([]string, len(p.Stacks))
	for i, s := range p.Stacks {
		dirs[i] = s.Dir
		for _, m := range s.LocalModules {
			if !seen[m.Dir] {
				seen[m.Dir] = true
				fmtDirs[s.ID()] = append(fmtDirs[s.ID()], m.Dir)
			}
		}
	}
	if err := p.Terraform.Prepare(ctx, dirs); err != nil {
		return nil, err
	}
	pool := p.Terraform.NewProviderPool() // validate-only: one plugin process per provider, shared
	defer pool.Close()
	pool.Start(ctx, p.Terraform, dirs) // while fmt and init run
	var mu sync.Mutex
	progress := func(ev CheckEvent) {
		if p.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			p.Progress(ev)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.Parallelism)
	for i, s := range p.Stacks {
		g.Go(func() error {
			progress(CheckEvent{Stack: s})
			start := time.Now()
			res := checkStack(gctx, p, pool, s, fmtDirs[s.ID()])
			res.Duration = time.Since(start)
			report.Stacks[i] = res
			if err := gctx.Err(); err != nil {
				return err
			}
			progress(CheckEvent{Stack: s, Done: true, Result: res})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return report, nil
}

func checkStack(ctx context.Context, p CheckParams, pool *terraform.ProviderPool, s *stack.Stack, moduleDirs []string) *StackCheck {
	res := &StackCheck{ID: s.ID(), Env: s.Env, Layer: s.Layer, Path: s.Path, Unformatted: []string{}, Diagnostics: []Diagnostic{}}
	rel := func(path string) string {
		if r, err := filepath.Rel(p.Root, path); err == nil {
			return filepath.ToSlash(r)
		}
		return path
	}
	tc := p.Terraform

	// Syntax first: a file that does not parse makes init fail with text
	// only; hcl gives the exact place.
	broken := map[string]bool{}
	for _, m := range append([]*tfconfig.Module{s.Module}, s.LocalModules...) {
		for _, d := range m.Diags {
			if d.Severity != hcl.DiagError {
				continue
			}
			broken[m.Dir] = true
			diag := Diagnostic{Severity: SeverityError, Summary: d.Summary, Detail: d.Detail}
			if d.Subject != nil {
				diag.File, diag.Line, diag.Column = rel(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column
			}
			res.Diagnostics = append(res.Diagnostics, diag)
		}
	}

	if len(broken) > 0 {
		return res // fmt cannot format what does not parse; validate would only repeat it
	}
	r := tc.Runner(s.Dir)
	files, err := r.FmtCheck(ctx, moduleDirs...)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	for _, f := range files {
		res.Unformatted = append(res.Unformatted, rel(f))
	}

	opts := []terraform.InitOption{terraform.Backend(false), terraform.Reuse(true)}
	if res.LockFile = r.HasLockFile(); res.LockFile {
		opts = append(opts, terraform.LockfileReadonly())
	} else {
		// init writes one: remove it again, leaving the repository as it was.
		defer os.Remove(filepath.Join(s.Dir, terraform.LockFileName))
	}
	if err := r.Init(ctx, opts...); err != nil {
		res.Error = err.Error()
		return res
	}
	out, err := r.Validate(ctx, terraform.SharedProviders(pool))
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return res
		}
		res.Error = err.Error()
		return res
	}
	for _, d := range out.Diagnostics {
		diag := Diagnostic{Severity: SeverityWarning, Summary: d.Summary, Detail: d.Detail}
		if d.Severity == tfjson.DiagnosticSeverityError {
			diag.Severity = SeverityError
		}
		if d.Range != nil {
			diag.File = rel(filepath.Join(s.Dir, d.Range.Filename))
			diag.Line, diag.Column = d.Range.Start.Line, d.Range.Start.Column
		}
		res.Diagnostics = append(res.Diagnostics, diag)
	}
	if !out.Valid && !slices.ContainsFunc(res.Diagnostics, func(d Diagnostic) bool { return d.Severity == SeverityError }) {
		res.Error = "terraform validate reported the configuration invalid without saying why; run terraform -chdir=" + s.Path + " validate"
	}
	res.Diagnostics = dedupe(res.Diagnostics)
	sortDiagnostics(res.Diagnostics)
	return res
}

// sortDiagnostics orders diagnostics by place (Terraform's order varies from
// run to run), those without a place first.
func sortDiagnostics(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), strings.Compare(a.Summary, b.Summary))
	})
}

func dedupe(ds []Diagnostic) []Diagnostic {
	out := ds[:0]
	seen := map[string]bool{}
	for _, d := range ds {
		k := strings.Join([]string{d.Severity, d.Pos(), d.Summary, d.Detail}, "\x00")
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}
