package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/tfconfig"
)

// Source identifies the code a run planned: the git commit (when the
// repository is a git work tree), whether the tree had uncommitted changes,
// and a digest of the stacks' own files (their configuration files and
// those of the local modules they call), which also pins uncommitted edits.
type Source struct {
	Commit  string `json:"commit,omitempty"`
	Dirty   bool   `json:"dirty,omitempty"`
	Sources string `json:"sources"`
}

// String is "abc1234", "abc1234+dirty", or "" outside git.
func (s Source) String() string {
	c := s.Commit
	if c == "" {
		return ""
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if s.Dirty {
		c += "+dirty"
	}
	return c
}

// readSource reads the commit of root and digests the stacks' files.
func readSource(ctx context.Context, root string, stacks []*stack.Stack) (Source, error) {
	var src Source
	if out, err := git(ctx, root, "rev-parse", "HEAD"); err == nil {
		src.Commit = strings.TrimSpace(out)
		if st, err := git(ctx, root, "status", "--porcelain", "--untracked-files=normal", "--", "."); err == nil {
			src.Dirty = strings.TrimSpace(st) != ""
		}
	}
	d, err := sourcesDigest(root, stacks)
	if err != nil {
		return src, err
	}
	src.Sources = d
	return src, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = io.Discard
	err := cmd.Run()
	return out.String(), err
}

// sourcesDigest hashes the configuration files of the stacks and of the
// local modules they call, by path relative to root.
func sourcesDigest(root string, stacks []*stack.Stack) (string, error) {
	seen := map[string]bool{}
	var files []string
	for _, s := range stacks {
		for _, m := range append([]*tfconfig.Module{s.Module}, s.LocalModules...) {
			if m == nil {
				continue
			}
			for _, f := range m.Files {
				if !seen[f] {
					seen[f] = true
					files = append(files, f)
				}
			}
		}
	}
	slices.Sort(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f, err)
		}
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// fileSHA256 is "sha256:<hex>" of a file, or "" when it does not exist.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func lockFileHash(dir string) (string, error) {
	h, err := fileSHA256(filepath.Join(dir, terraform.LockFileName))
	if err != nil {
		return "", err
	}
	if h == "" {
		return "none", nil
	}
	return h, nil
}

// declaredVariables returns the names of the variables a configuration
// directory declares (in its .tf files).
func declaredVariables(dir string) map[string]bool {
	out := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	p := hclparse.NewParser()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		f, diags := p.ParseHCLFile(filepath.Join(dir, e.Name()))
		if diags.HasErrors() || f == nil {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if b.Type == "variable" && len(b.Labels) == 1 {
				out[b.Labels[0]] = true
			}
		}
	}
	return out
}

// backendAttrs returns the backend type a configuration declares and the
// names of the arguments its backend block sets.
func backendAttrs(dir string) (typ string, attrs map[string]bool) {
	attrs = map[string]bool{}
	entries, _ := os.ReadDir(dir)
	p := hclparse.NewParser()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		f, diags := p.ParseHCLFile(filepath.Join(dir, e.Name()))
		if diags.HasErrors() || f == nil {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, tb := range body.Blocks {
			if tb.Type != "terraform" {
				continue
			}
			for _, bb := range tb.Body.Blocks {
				if bb.Type == "backend" && len(bb.Labels) == 1 {
					typ = bb.Labels[0]
					for name := range bb.Body.Attributes {
						attrs[name] = true
					}
				}
			}
		}
	}
	return typ, attrs
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
