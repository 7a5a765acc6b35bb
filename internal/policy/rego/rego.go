package rego

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// Kind is the rule family a result came from.
type Kind string

// Kinds, as conftest names them.
const (
	Deny      Kind = "deny"
	Warn      Kind = "warn"
	Violation Kind = "violation"
)

// Result is one message from a deny, warn or violation rule.
type Result struct {
	// Package is the Rego package ("main", "tags").
	Package string
	// Rule is the rule name ("deny", "deny_untagged").
	Rule    string
	Kind    Kind
	Message string
	// Severity, Resource and ID come from an object result's fields of the
	// same name, when present.
	Severity string
	Resource string
	ID       string
}

// Engine is a compiled set of policy modules.
type Engine struct {
	Files    []string
	compiler *ast.Compiler
	modules  map[string]*ast.Module
	queries  []query
}

type query struct {
	pkg, rule string
	kind      Kind
	pq        rego.PreparedEvalQuery
}

// LoadError is a policy file that does not parse or compile.
type LoadError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// files lists the .rego files under dirs; tests are included only when
// tests is set.
func files(dirs []string, tests bool) ([]string, error) {
	var out []string
	for _, d := range dirs {
		info, err := os.Stat(d)
		if err != nil {
			return nil, fmt.Errorf("policy directory %s: %w", d, err)
		}
		if !info.IsDir() {
			out = append(out, d)
			continue
		}
		err = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || !strings.HasSuffix(p, ".rego") {
				return nil
			}
			if !tests && strings.HasSuffix(p, "_test.rego") {
				return nil
			}
			out = append(out, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

func parse(paths []string) (map[string]*ast.Module, error) {
	mods := map[string]*ast.Module{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			// Older policies (deny[msg] { … }) are Rego v0.
			m0, err0 := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV0})
			if err0 != nil {
				return nil, astError(p, err)
			}
			m = m0
		}
		mods[p] = m
	}
	return mods, nil
}

func astError(file string, err error) error {
	if errs, ok := err.(ast.Errors); ok && len(errs) > 0 {
		e := errs[0]
		le := &LoadError{File: file, Msg: e.Message}
		if e.Location != nil {
			if e.Location.File != "" {
				le.File = e.Location.File
			}
			le.Line, le.Column = e.Location.Row, e.Location.Col
		}
		return le
	}
	return &LoadError{File: file, Msg: err.Error()}
}

// Load parses and compiles the policies under dirs (tests excluded) and
// prepares a query per deny/warn/violation rule.
func Load(ctx context.Context, dirs []string) (*Engine, error) {
	paths, err := files(dirs, false)
	if err != nil {
		return nil, err
	}
	mods, err := parse(paths)
	if err != nil {
		return nil, err
	}
	c := ast.NewCompiler()
	if c.Compile(mods); c.Failed() {
		return nil, astError("", c.Errors)
	}
	e := &Engine{Files: paths, compiler: c, modules: mods}
	seen := map[string]bool{}
	var names []string
	for _, m := range mods {
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		for _, r := range m.Rules {
			name := r.Head.Name.String()
			if name == "" && len(r.Head.Reference) > 0 {
				name = r.Head.Reference[len(r.Head.Reference)-1].Value.String()
				name = strings.Trim(name, `"`)
			}
			if _, ok := kindOf(name); !ok {
				continue
			}
			key := pkg + "." + name
			if seen[key] {
				continue
			}
			seen[key] = true
			names = append(names, key)
		}
	}
	sort.Strings(names)
	for _, key := range names {
		i := strings.LastIndex(key, ".")
		pkg, name := key[:i], key[i+1:]
		kind, _ := kindOf(name)
		pq, err := rego.New(
			rego.Query("data."+pkg+"."+name),
			rego.Compiler(c),
			rego.Store(inmem.New()),
		).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", key, err)
		}
		e.queries = append(e.queries, query{pkg: pkg, rule: name, kind: kind, pq: pq})
	}
	return e, nil
}

func kindOf(name string) (Kind, bool) {
	for _, k := range []Kind{Deny, Warn, Violation} {
		if name == string(k) || strings.HasPrefix(name, string(k)+"_") {
			return k, true
		}
	}
	return "", false
}

// Rules reports how many deny/warn/violation rules are loaded.
func (e *Engine) Rules() int { return len(e.queries) }

// Eval runs every rule against the input (a JSON-like value).
func (e *Engine) Eval(ctx context.Context, input any) ([]Result, error) {
	var out []Result
	for _, q := range e.queries {
		rs, err := q.pq.Eval(ctx, rego.EvalInput(input))
		if err != nil {
			return nil, fmt.Errorf("policy %s.%s: %w", q.pkg, q.rule, err)
		}
		for _, r := range rs {
			for _, ex := range r.Expressions {
				out = append(out, results(q, ex.Value)...)
			}
		}
	}
	return out, nil
}

func results(q query, v any) []Result {
	var out []Result
	add := func(x any) {
		r := Result{Package: q.pkg, Rule: q.rule, Kind: q.kind}
		switch m := x.(type) {
		case string:
			r.Message = m
		case map[string]any:
			r.Message = str(m["msg"])
			if r.Message == "" {
				r.Message = str(m["message"])
			}
			r.Severity = str(m["severity"])
			r.Resource = str(m["resource"])
			if r.Resource == "" {
				r.Resource = str(m["address"])
			}
			r.ID = str(m["id"])
			if r.ID == "" {
				r.ID = str(m["rule"])
			}
		case bool:
			if !m {
				return
			}
			r.Message = q.pkg + "." + q.rule
		default:
			r.Message = fmt.Sprint(x)
		}
		out = append(out, r)
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			add(e)
		}
	case nil:
	default:
		add(x)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Message < out[j].Message })
	return out
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// TestResult sums up a test run.
type TestResult struct {
	Passed, Failed, Skipped, Errored int
}

// Test runs the *_test.rego tests under dirs, printing one line per test to
// w (like opa test -v), and returns the counts.
func Test(ctx context.Context, dirs []string, w io.Writer) (TestResult, error) {
	var tr TestResult
	paths, err := files(dirs, true)
	if err != nil {
		return tr, err
	}
	mods, err := parse(paths)
	if err != nil {
		return tr, err
	}
	ch, err := tester.NewRunner().SetStore(inmem.New()).SetTimeout(30*time.Second).Run(ctx, mods)
	if err != nil {
		return tr, astError("", err)
	}
	for r := range ch {
		loc := ""
		if r.Location != nil {
			loc = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
		}
		name := strings.TrimPrefix(r.Package, "data.") + "." + r.Name
		switch {
		case r.Skip:
			tr.Skipped++
			fmt.Fprintf(w, "SKIP  %s (%s)\n", name, loc)
		case r.Error != nil:
			tr.Errored++
			fmt.Fprintf(w, "ERROR %s (%s): %v\n", name, loc, r.Error)
		case r.Fail:
			tr.Failed++
			fmt.Fprintf(w, "FAIL  %s (%s)\n", name, loc)
		default:
			tr.Passed++
			fmt.Fprintf(w, "PASS  %s (%s)\n", name, loc)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed", tr.Passed, tr.Failed+tr.Errored)
	if tr.Skipped > 0 {
		fmt.Fprintf(w, ", %d skipped", tr.Skipped)
	}
	fmt.Fprintln(w)
	return tr, nil
}

// Where returns the file, line and column (0 when unknown).
func (e *LoadError) Where() (file string, line, col int) { return e.File, e.Line, e.Column }
