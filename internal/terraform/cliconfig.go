package terraform

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	hcl1 "github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/printer"
)

// userConfig is the part of a user's own CLI config file (TF_CLI_CONFIG_FILE
// or ~/.terraformrc) that vigil carries into its own. Terraform reads CLI
// config files with HCL 1 (quoted keys in dev_overrides, for instance), so
// vigil does too.
type userConfig struct {
	Path string
	// Rest is the file without plugin_cache_dir and provider_installation:
	// credentials, host blocks and the like, kept as written.
	Rest string
	// CacheDir is the user's plugin_cache_dir.
	CacheDir string
	// Mirrors are the user's filesystem_mirror paths (vigil scans them).
	Mirrors []string
	// Methods are the user's network_mirror and direct methods; vigil adds the
	// providers it serves from local mirrors to their exclude lists.
	Methods []installMethod
	// DevOverrides is the user's dev_overrides block, as written.
	DevOverrides string
	// HasInstallation: the user wrote a provider_installation block (so no
	// implied direct method is added).
	HasInstallation bool
}

type installMethod struct {
	Kind    string   // "network_mirror" or "direct"
	URL     string   `hcl:"url"`
	Path    string   `hcl:"path"`
	Include []string `hcl:"include"`
	Exclude []string `hcl:"exclude"`
}

// readUserConfig parses a user's CLI config file. A path that does not exist
// yields nil and no error: a TF_CLI_CONFIG_FILE naming a missing file is
// ignored (Terraform would only warn).
func readUserConfig(path string) (*userConfig, error) {
	if path == "" {
		return nil, nil
	}
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read Terraform CLI config %s: %w", path, err)
	}
	bad := func(err error) error {
		return fmt.Errorf("read Terraform CLI config %s: %w; fix the file, or unset TF_CLI_CONFIG_FILE so vigil ignores it", path, err)
	}
	f, err := hcl1.ParseBytes(src)
	if err != nil {
		return nil, bad(err)
	}
	list, ok := f.Node.(*ast.ObjectList)
	if !ok {
		return nil, bad(fmt.Errorf("unexpected file structure"))
	}
	uc := &userConfig{Path: path}
	var keep []*ast.ObjectItem
	for _, item := range list.Items {
		switch itemKey(item, 0) {
		case "plugin_cache_dir":
			if err := hcl1.DecodeObject(&uc.CacheDir, item.Val); err != nil {
				return nil, bad(fmt.Errorf("plugin_cache_dir: %w", err))
			}
		case "provider_installation":
			uc.HasInstallation = true
			obj, ok := item.Val.(*ast.ObjectType)
			if !ok {
				return nil, bad(fmt.Errorf("provider_installation must be a block"))
			}
			for _, m := range obj.List.Items {
				kind := itemKey(m, 0)
				switch kind {
				case "filesystem_mirror", "network_mirror", "direct":
					im := installMethod{Kind: kind}
					if err := hcl1.DecodeObject(&im, m.Val); err != nil {
						return nil, bad(fmt.Errorf("%s: %w", kind, err))
					}
					if kind == "filesystem_mirror" {
						if im.Path == "" {
							return nil, bad(fmt.Errorf("filesystem_mirror without path"))
						}
						uc.Mirrors = append(uc.Mirrors, im.Path)
						continue
					}
					uc.Methods = append(uc.Methods, im)
				case "dev_overrides":
					var b bytes.Buffer
					if err := printer.Fprint(&b, m); err != nil {
						return nil, bad(err)
					}
					uc.DevOverrides = b.String()
				default:
					return nil, bad(fmt.Errorf("unknown provider installation method %q", kind))
				}
			}
		default:
			keep = append(keep, item)
		}
	}
	list.Items = keep
	var rest bytes.Buffer
	if len(keep) > 0 {
		if err := printer.Fprint(&rest, f); err != nil {
			return nil, bad(err)
		}
	}
	uc.Rest = strings.TrimSpace(rest.String())
	return uc, nil
}

func itemKey(item *ast.ObjectItem, i int) string {
	if len(item.Keys) <= i {
		return ""
	}
	k := item.Keys[i].Token.Text
	if s, err := strconv.Unquote(k); err == nil {
		return s
	}
	return k
}

// cliConfig is everything rendered into vigil's CLI config file.
type cliConfig struct {
	// CacheDir is written as plugin_cache_dir; vigil sets it only for the
	// warm-up run that fills the cache (see Toolchain.Prepare).
	CacheDir string
	// Mirrors are served through filesystem_mirror blocks, in order.
	Mirrors []*Mirror
	User    *userConfig
}

// render writes the CLI config. Every provider found in a mirror is listed
// in that mirror's include and in every network method's exclude, so
// Terraform never asks the network about it.
func (c cliConfig) render() []byte {
	var b strings.Builder
	b.WriteString("# Written by vigil for the terraform processes it runs. Do not edit: it is\n# rewritten on every run. See docs/config.md.\n")
	if c.User != nil && c.User.Rest != "" {
		fmt.Fprintf(&b, "\n# From %s:\n%s\n", c.User.Path, c.User.Rest)
	}
	b.WriteString("\n")
	if c.CacheDir != "" {
		fmt.Fprintf(&b, "plugin_cache_dir = %s\n\n", strconv.Quote(c.CacheDir))
	}
	b.WriteString("provider_installation {\n")
	var mirrored []string
	for _, m := range c.Mirrors {
		var include []string
		for p := range m.Providers {
			include = append(include, p.String())
		}
		if len(include) == 0 {
			continue
		}
		sort.Strings(include)
		fmt.Fprintf(&b, "  filesystem_mirror {\n    path    = %s\n    include = %s\n  }\n", strconv.Quote(m.Dir), quoteList(include))
		mirrored = append(mirrored, include...)
	}
	slices.Sort(mirrored)
	mirrored = slices.Compact(mirrored)
	methods := []installMethod{{Kind: "direct"}}
	if c.User != nil && c.User.HasInstallation {
		methods = c.User.Methods
		if c.User.DevOverrides != "" {
			for _, line := range strings.Split(c.User.DevOverrides, "\n") {
				b.WriteString("  " + line + "\n")
			}
		}
	}
	for _, m := range methods {
		fmt.Fprintf(&b, "  %s {\n", m.Kind)
		if m.URL != "" {
			fmt.Fprintf(&b, "    url     = %s\n", strconv.Quote(m.URL))
		}
		if len(m.Include) > 0 {
			fmt.Fprintf(&b, "    include = %s\n", quoteList(m.Include))
		}
		exclude := append(slices.Clone(m.Exclude), mirrored...)
		slices.Sort(exclude)
		if exclude = slices.Compact(exclude); len(exclude) > 0 {
			fmt.Fprintf(&b, "    exclude = %s\n", quoteList(exclude))
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// writeFileAtomic replaces path so that concurrent readers see the old or
// the new content, never a half-written file.
func writeFileAtomic(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
