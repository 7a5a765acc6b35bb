package model

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// LoadOptions tunes Load. The zero value is ready to use.
type LoadOptions struct {
	// MaxModuleDepth bounds how deep local module calls are followed
	// (default 16).
	MaxModuleDepth int
	// MaxInstances bounds how many count/for_each instances of one block
	// are expanded; above it the block is evaluated once with unknown
	// keys (default 64).
	MaxInstances int
}

// Diagnostic is a problem met while loading: a file that does not parse, a
// module that cannot be found. It is an error with a position.
type Diagnostic struct {
	Range   Range
	Summary string
	Detail  string
}

func (d Diagnostic) Error() string {
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	return fmt.Sprintf("%s: %s", d.Range, msg)
}

// File is one parsed source file.
type File struct {
	Path string
	Src  []byte
	// Body is the parsed HCL body (nil for YAML files and files that did
	// not parse).
	Body *hclsyntax.Body
}

// Project is everything Load found under its paths.
type Project struct {
	// Files are the parsed files by path, .tf and workflow YAML alike.
	Files map[string]*File
	// Roots are the module instances for directories no other scanned
	// directory calls; Modules are all instances, roots first in each tree.
	Roots   []*Module
	Modules []*Module
	// Workflows are the GitHub Actions workflow files found.
	Workflows []*Workflow
	// Diagnostics are the files that did not parse and the modules that
	// could not be followed; the rest was still loaded.
	Diagnostics []Diagnostic

	opts LoadOptions
	dirs map[string]*dirFiles
	base *hcl.EvalContext
}

type dirFiles struct {
	tf       []*File
	tfvars   []*File
	backends []*File
}

// skipDir names directories never walked into.
var skipDir = map[string]bool{".terraform": true, ".git": true, "node_modules": true, ".terragrunt-cache": true}

// Load discovers and evaluates every .tf file under paths (directories or
// files), following local module calls, and every GitHub workflow file.
// Problems are collected in Project.Diagnostics; Load itself never fails.
func Load(paths []string, opts LoadOptions) *Project {
	if opts.MaxModuleDepth <= 0 {
		opts.MaxModuleDepth = 16
	}
	if opts.MaxInstances <= 0 {
		opts.MaxInstances = 64
	}
	p := &Project{Files: map[string]*File{}, opts: opts, dirs: map[string]*dirFiles{}}
	var scanDirs []string
	seenDir := map[string]bool{}
	addDir := func(d string) {
		if !seenDir[d] {
			seenDir[d] = true
			scanDirs = append(scanDirs, d)
		}
	}
	for _, root := range paths {
		root = filepath.Clean(root)
		info, err := os.Stat(root)
		if err != nil {
			p.diag(Range{Filename: root}, "cannot read path", err.Error())
			continue
		}
		if !info.IsDir() {
			switch {
			case isTF(root):
				addDir(filepath.Dir(root))
			case isYAML(root):
				p.loadWorkflow(root, true)
			default:
				p.diag(Range{Filename: root}, "not a Terraform or workflow file", "pass a directory, a .tf file or a .yml workflow")
			}
			continue
		}
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				p.diag(Range{Filename: path}, "cannot read", err.Error())
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if path != root && (skipDir[name] || (strings.HasPrefix(name, ".") && name != ".github")) {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case isTF(name):
				addDir(filepath.Dir(path))
			case isYAML(name):
				dir := filepath.ToSlash(filepath.Dir(path))
				p.loadWorkflow(path, strings.HasSuffix(dir, ".github/workflows"))
			}
			return nil
		})
	}
	sort.Strings(scanDirs)
	for _, d := range scanDirs {
		p.parseDir(d)
	}

	// A directory some scanned directory calls as a local module is
	// evaluated through that call, with its arguments, not on its own.
	called := map[string]bool{}
	for _, d := range scanDirs {
		for _, f := range p.dirs[d].tf {
			if f.Body == nil {
				continue
			}
			for _, b := range f.Body.Blocks {
				if b.Type != "module" || len(b.Labels) != 1 {
					continue
				}
				if src, ok := localSource(b); ok {
					called[filepath.Clean(filepath.Join(d, src))] = true
				}
			}
		}
	}
	for _, d := range scanDirs {
		if called[d] || len(p.dirs[d].tf) == 0 {
			continue
		}
		m := p.instantiate(d, nil, nil, "", nil, 0)
		p.Roots = append(p.Roots, m)
	}
	var walk func(m *Module)
	walk = func(m *Module) {
		p.Modules = append(p.Modules, m)
		for _, c := range m.Children {
			walk(c)
		}
	}
	for _, r := range p.Roots {
		walk(r)
	}
	sort.SliceStable(p.Diagnostics, func(i, j int) bool {
		a, b := p.Diagnostics[i].Range, p.Diagnostics[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Line < b.Start.Line
	})
	return p
}

// isTF reports Terraform (.tf) and OpenTofu (.tofu) configuration files.
func isTF(name string) bool {
	return strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tofu")
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")
}

func (p *Project) diag(r Range, summary, detail string) {
	p.Diagnostics = append(p.Diagnostics, Diagnostic{Range: r, Summary: summary, Detail: detail})
}

func (p *Project) hclDiags(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		r := Range{}
		if d.Subject != nil {
			r = FromHCL(*d.Subject)
		}
		p.diag(r, d.Summary, d.Detail)
	}
}

// parseDir parses the Terraform files of a directory once.
func (p *Project) parseDir(dir string) *dirFiles {
	if df, ok := p.dirs[dir]; ok {
		return df
	}
	df := &dirFiles{}
	p.dirs[dir] = df
	entries, err := os.ReadDir(dir)
	if err != nil {
		p.diag(Range{Filename: dir}, "cannot read module directory", err.Error())
		return df
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		path := filepath.Join(dir, name)
		switch {
		case isTF(name):
			if f := p.parseFile(path); f != nil {
				df.tf = append(df.tf, f)
			}
		case name == "terraform.tfvars" || strings.HasSuffix(name, ".auto.tfvars"):
			if f := p.parseFile(path); f != nil {
				df.tfvars = append(df.tfvars, f)
			}
		case strings.HasSuffix(name, ".tfbackend") || name == "backend.hcl" || strings.HasSuffix(name, ".backend.hcl"):
			if f := p.parseFile(path); f != nil {
				df.backends = append(df.backends, f)
			}
		}
	}
	return df
}

func (p *Project) parseFile(path string) *File {
	src, err := os.ReadFile(path)
	if err != nil {
		p.diag(Range{Filename: path}, "cannot read file", err.Error())
		return nil
	}
	f := &File{Path: path, Src: src}
	p.Files[path] = f
	hf, diags := hclsyntax.ParseConfig(src, path, hcl.Pos{Line: 1, Column: 1, Byte: 0})
	if diags.HasErrors() {
		// A file that does not parse is reported and left out: a partial
		// AST would give findings about code that is not there.
		p.hclDiags(diags)
		return f
	}
	f.Body = hf.Body.(*hclsyntax.Body)
	return f
}

// localSource returns the source of a module block when it is a local path.
func localSource(b *hclsyntax.Block) (string, bool) {
	a, ok := b.Body.Attributes["source"]
	if !ok {
		return "", false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	s := v.AsString()
	if strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || s == "." || s == ".." {
		return s, true
	}
	return "", false
}

// Where returns the file, line and column (0 when unknown).
func (d Diagnostic) Where() (file string, line, col int) {
	return d.Range.Filename, d.Range.Start.Line, d.Range.Start.Column
}
