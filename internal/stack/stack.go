package stack

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/tfconfig"
)

// FileName is the optional per-stack settings file.
const FileName = "stack.hcl"

// ErrCycle is wrapped by the error Load returns for a dependency cycle.
var ErrCycle = errors.New("dependency cycle")

// Stack is one <env>/<layer> folder.
type Stack struct {
	Env   string
	Layer string
	// Dir is the absolute folder.
	Dir string
	// Path is Dir relative to the repository root, slash-separated.
	Path string
	// BackendKey is the state key: the literal backend "s3" key, else the
	// convention <env>/<layer>/terraform.tfstate.
	BackendKey string
	// DependsOn are the ids of the stacks this one needs, in graph order.
	DependsOn []string
	// Module is the stack's root module as read from its files.
	Module *tfconfig.Module
	// LocalModules are the local modules the stack calls, recursively.
	LocalModules []*tfconfig.Module

	explicit      []string  // ids from stack.hcl
	explicitRange hcl.Range // where stack.hcl says depends_on
	rank          [2]int    // env index, layer index: the tie-break order
}

// ID is "<env>/<layer>".
func (s *Stack) ID() string { return s.Env + "/" + s.Layer }

// ConventionalKey is the backend key a stack is assumed to use when its
// backend block has no literal key.
func ConventionalKey(env, layer string) string {
	return env + "/" + layer + "/terraform.tfstate"
}

// Graph is a repository's stacks in dependency order.
type Graph struct {
	stacks []*Stack
	byID   map[string]*Stack
}

// Stacks returns every stack in order.
func (g *Graph) Stacks() []*Stack { return g.stacks }

// Stack returns the stack with the given id ("dev/workload").
func (g *Graph) Stack(id string) (*Stack, bool) {
	s, ok := g.byID[id]
	return s, ok
}

// Env returns the stacks of one environment, in order.
func (g *Graph) Env(env string) []*Stack {
	var out []*Stack
	for _, s := range g.stacks {
		if s.Env == env {
			out = append(out, s)
		}
	}
	return out
}

// Waves groups stacks (a subset of the graph, in graph order) so that each
// stack's dependencies within the subset sit in earlier waves. Stacks of one
// wave may run in parallel.
func (g *Graph) Waves(stacks []*Stack) [][]*Stack {
	in := map[string]bool{}
	for _, s := range stacks {
		in[s.ID()] = true
	}
	wave := map[string]int{}
	var waves [][]*Stack
	for _, s := range stacks { // graph order: dependencies come first
		w := 0
		for _, d := range s.DependsOn {
			if in[d] {
				w = max(w, wave[d]+1)
			}
		}
		wave[s.ID()] = w
		for len(waves) <= w {
			waves = append(waves, nil)
		}
		waves[w] = append(waves[w], s)
	}
	return waves
}

// Load finds and orders the stacks of the repository cfg describes.
func Load(cfg *config.Config) (*Graph, error) {
	stacks, err := discover(cfg)
	if err != nil {
		return nil, err
	}
	g := &Graph{byID: map[string]*Stack{}}
	for _, s := range stacks {
		g.byID[s.ID()] = s
	}
	if err := g.link(cfg); err != nil {
		return nil, err
	}
	if err := g.sort(); err != nil {
		return nil, err
	}
	return g, nil
}

func discover(cfg *config.Config) ([]*Stack, error) {
	root := cfg.StacksDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("stacks folder %s does not exist: create %s/<env>/<layer>/ or set stacks_root in %s", cfg.StacksRoot, cfg.StacksRoot, cfg.Path)
		}
		return nil, fmt.Errorf("read stacks folder: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, ok := cfg.Environment(e.Name()); !ok {
			return nil, fmt.Errorf("%s/%s: vigil.hcl declares no environment %q (declared: %s); add environment %q {} to %s or move the folder",
				cfg.StacksRoot, e.Name(), e.Name(), strings.Join(cfg.EnvironmentNames(), ", "), e.Name(), cfg.Path)
		}
	}
	layerRank := func(layer string) int {
		if i := cfg.LayerIndex(layer); i >= 0 {
			return i
		}
		return len(cfg.Layers)
	}
	var stacks []*Stack
	for ei, env := range cfg.Environments {
		envDir := filepath.Join(root, env.Name)
		layers, err := os.ReadDir(envDir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read environment folder: %w", err)
		}
		for _, l := range layers {
			dir := filepath.Join(envDir, l.Name())
			if !l.IsDir() || strings.HasPrefix(l.Name(), ".") || !tfconfig.HasConfigFiles(dir) {
				continue
			}
			s, err := read(cfg, env.Name, l.Name(), dir)
			if err != nil {
				return nil, err
			}
			s.rank = [2]int{ei, layerRank(l.Name())}
			stacks = append(stacks, s)
		}
	}
	return stacks, nil
}

func read(cfg *config.Config, env, layer, dir string) (*Stack, error) {
	rel, err := filepath.Rel(cfg.Root, dir)
	if err != nil {
		return nil, err
	}
	s := &Stack{Env: env, Layer: layer, Dir: dir, Path: filepath.ToSlash(rel)}
	if s.Module, err = tfconfig.LoadModule(dir); err != nil {
		return nil, err
	}
	if s.LocalModules, err = tfconfig.LocalModules(s.Module); err != nil {
		return nil, fmt.Errorf("stack %s: %w", s.ID(), err)
	}
	s.BackendKey = ConventionalKey(env, layer)
	if b := s.Module.Backend; b != nil && b.Key != "" {
		s.BackendKey = b.Key
	}
	if s.explicit, s.explicitRange, err = readStackFile(filepath.Join(dir, FileName), s.Path+"/"+FileName, env); err != nil {
		return nil, err
	}
	return s, nil
}

type stackFile struct {
	DependsOn      []string  `hcl:"depends_on,optional"`
	DependsOnRange hcl.Range `hcl:"depends_on,attr_range"`
}

// readStackFile returns the ids a stack.hcl names, or nil when there is none.
// name is the path shown in diagnostics.
func readStackFile(path, name, env string) ([]string, hcl.Range, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, hcl.Range{}, nil
	}
	if err != nil {
		return nil, hcl.Range{}, err
	}
	f, diags := hclparse.NewParser().ParseHCL(src, name)
	var sf stackFile
	if !diags.HasErrors() {
		diags = gohcl.DecodeBody(f.Body, nil, &sf)
	}
	if diags.HasErrors() {
		return nil, hcl.Range{}, diagError(diags)
	}
	ids := make([]string, 0, len(sf.DependsOn))
	for _, d := range sf.DependsOn {
		if !strings.Contains(d, "/") {
			d = env + "/" + d
		}
		ids = append(ids, d)
	}
	return ids, sf.DependsOnRange, nil
}

// link turns remote-state keys and stack.hcl entries into DependsOn.
func (g *Graph) link(cfg *config.Config) error {
	byKey := map[string]*Stack{}
	for _, s := range g.byID {
		if other, dup := byKey[s.BackendKey]; dup {
			a, b := other.Path, s.Path
			if a > b {
				a, b = b, a
			}
			return fmt.Errorf("stacks %s and %s use the same state key %q: give each stack its own backend key (convention: <env>/<layer>/terraform.tfstate), so one broken state cannot take down two stacks", a, b, s.BackendKey)
		}
		byKey[s.BackendKey] = s
	}
	for _, s := range g.byID {
		deps := map[string]bool{}
		for _, m := range append([]*tfconfig.Module{s.Module}, s.LocalModules...) {
			for _, rs := range m.RemoteStates {
				if dep, ok := byKey[rs.Key]; ok && rs.Key != "" && dep != s {
					deps[dep.ID()] = true
				}
			}
		}
		for _, id := range s.explicit {
			if _, ok := g.byID[id]; !ok {
				return fmt.Errorf("%s: depends_on names %q, which is not a stack; known stacks: %s", rangePos(s.explicitRange), id, strings.Join(g.ids(), ", "))
			}
			if id == s.ID() {
				return fmt.Errorf("%s: stack %s depends on itself; remove it from depends_on", rangePos(s.explicitRange), id)
			}
			deps[id] = true
		}
		for id := range deps {
			s.DependsOn = append(s.DependsOn, id)
		}
	}
	return nil
}

func (g *Graph) ids() []string {
	ids := make([]string, 0, len(g.byID))
	for id := range g.byID {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return less(g.byID[ids[i]], g.byID[ids[j]]) })
	return ids
}

// less is the tie-break order: environment, layer order, layer name.
func less(a, b *Stack) bool {
	return cmp.Or(cmp.Compare(a.rank[0], b.rank[0]), cmp.Compare(a.rank[1], b.rank[1]), cmp.Compare(a.Layer, b.Layer)) < 0
}

// sort orders the stacks topologically (Kahn), always taking the least ready
// stack, and reports a cycle if one remains.
func (g *Graph) sort() error {
	pending := map[string]int{}    // id → number of unplaced dependencies
	users := map[string][]string{} // id → ids depending on it
	for id, s := range g.byID {
		pending[id] = len(s.DependsOn)
		for _, d := range s.DependsOn {
			users[d] = append(users[d], id)
		}
	}
	var ready []*Stack
	for id, n := range pending {
		if n == 0 {
			ready = append(ready, g.byID[id])
		}
	}
	pos := map[string]int{}
	for len(ready) > 0 {
		slices.SortFunc(ready, func(a, b *Stack) int {
			if less(a, b) {
				return -1
			}
			return 1
		})
		s := ready[0]
		ready = ready[1:]
		pos[s.ID()] = len(g.stacks)
		g.stacks = append(g.stacks, s)
		for _, u := range users[s.ID()] {
			if pending[u]--; pending[u] == 0 {
				ready = append(ready, g.byID[u])
			}
		}
	}
	if len(g.stacks) < len(g.byID) {
		return g.cycleError(pos)
	}
	for _, s := range g.stacks {
		sort.Slice(s.DependsOn, func(i, j int) bool { return pos[s.DependsOn[i]] < pos[s.DependsOn[j]] })
	}
	return nil
}

// cycleError walks dependencies among the stacks sort could not place (each
// has at least one unplaced dependency) until a stack repeats.
func (g *Graph) cycleError(placed map[string]int) error {
	var left []*Stack
	for id, s := range g.byID {
		if _, ok := placed[id]; !ok {
			left = append(left, s)
		}
	}
	slices.SortFunc(left, func(a, b *Stack) int {
		if less(a, b) {
			return -1
		}
		return 1
	})
	seenAt := map[string]int{}
	var path []string
	cur := left[0]
	for {
		if i, ok := seenAt[cur.ID()]; ok {
			path = append(path[i:], cur.ID())
			break
		}
		seenAt[cur.ID()] = len(path)
		path = append(path, cur.ID())
		var next *Stack
		for _, d := range cur.DependsOn {
			ds := g.byID[d]
			if _, ok := placed[d]; ok {
				continue
			}
			if next == nil || less(ds, next) {
				next = ds
			}
		}
		cur = next
	}
	// Start the cycle at its least member, so the message is stable.
	ring := path[:len(path)-1]
	start := 0
	for i, id := range ring {
		if less(g.byID[id], g.byID[ring[start]]) {
			start = i
		}
	}
	ring = append(ring[start:], ring[:start]...)
	ring = append(ring, ring[0])
	return fmt.Errorf("%w: %s (each stack depends on the next): break it by removing a terraform_remote_state or stack.hcl depends_on entry in one of them", ErrCycle, strings.Join(ring, " -> "))
}

func diagError(diags hcl.Diagnostics) error {
	var msgs []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		m := d.Summary
		if d.Detail != "" {
			m += "; " + d.Detail
		}
		if d.Subject != nil {
			m = rangePos(*d.Subject) + ": " + m
		}
		msgs = append(msgs, m)
	}
	return errors.New(strings.Join(msgs, "\n"))
}

func rangePos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
