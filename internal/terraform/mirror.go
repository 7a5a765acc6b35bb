package terraform

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/go-version"
)

// EnvProviderMirror names the environment variable holding extra provider
// mirror folders (a path list, like PATH).
const EnvProviderMirror = "VIGIL_PROVIDER_MIRROR"

// Mirror is a local provider folder laid out as Terraform's
// filesystem_mirror expects: <host>/<namespace>/<type>/<version>/<os>_<arch>/
// (unpacked) or <host>/<namespace>/<type>/terraform-provider-<type>_<version>_<os>_<arch>.zip
// (packed).
type Mirror struct {
	Dir string
	// Origin says why vigil looked there ("VIGIL_PROVIDER_MIRROR", "implied",
	// "machine image", "plugin cache", "CLI config").
	Origin string
	// Providers are the versions found for this platform.
	Providers map[Provider][]*version.Version
}

// Has reports whether the mirror holds a version of p allowed by cons, and
// returns the newest one.
func (m *Mirror) Has(p Provider, cons version.Constraints) (*version.Version, bool) {
	var best *version.Version
	for _, v := range m.Providers[p] {
		if cons.Check(v) && (best == nil || v.GreaterThan(best)) {
			best = v
		}
	}
	return best, best != nil
}

// platform is the os_arch folder name of this machine.
func platform() string { return runtime.GOOS + "_" + runtime.GOARCH }

var packedRe = regexp.MustCompile(`^terraform-provider-([^_]+)_([^_]+)_([a-z0-9]+_[a-z0-9]+)\.zip$`)

// ScanMirror lists the providers in dir for this platform. A folder that does
// not exist is an empty mirror.
func ScanMirror(dir, origin string) *Mirror {
	m := &Mirror{Dir: dir, Origin: origin, Providers: map[Provider][]*version.Version{}}
	plat := platform()
	for _, host := range subdirs(dir) {
		if !strings.Contains(host, ".") { // a host name; skips legacy layouts and our own lock files
			continue
		}
		for _, ns := range subdirs(filepath.Join(dir, host)) {
			for _, typ := range subdirs(filepath.Join(dir, host, ns)) {
				p := Provider{Host: host, Namespace: ns, Type: typ}
				typeDir := filepath.Join(dir, host, ns, typ)
				entries, _ := os.ReadDir(typeDir)
				for _, e := range entries {
					name := e.Name()
					if sm := packedRe.FindStringSubmatch(name); sm != nil && sm[1] == typ && sm[3] == plat {
						if v, err := version.NewVersion(sm[2]); err == nil {
							m.Providers[p] = append(m.Providers[p], v)
						}
						continue
					}
					v, err := version.NewVersion(name)
					if err != nil || !isDir(filepath.Join(typeDir, name, plat)) {
						continue
					}
					m.Providers[p] = append(m.Providers[p], v)
				}
				if len(m.Providers[p]) == 0 {
					delete(m.Providers, p)
				}
			}
		}
	}
	for _, vs := range m.Providers {
		sort.Sort(version.Collection(vs))
	}
	return m
}

// MirrorSearch says where DiscoverMirrors looks, so tests can point it at
// temporary folders.
type MirrorSearch struct {
	// Getenv reads HOME, XDG_DATA_HOME, XDG_DATA_DIRS and VIGIL_PROVIDER_MIRROR.
	Getenv func(string) string
	// ImageRoots are folders whose children may be provider mirrors baked into
	// the machine image: a child counts when it holds a registry host folder
	// (registry.terraform.io or registry.opentofu.org). Default
	// DefaultImageRoots.
	ImageRoots []string
}

// DefaultImageRoots are the folders searched for baked-in mirrors
// (/opt/tf-plugins on the vigil development image).
var DefaultImageRoots = []string{"/opt", "/usr/local/share", "/usr/share", "/usr/local/lib"}

var registryHosts = []string{"registry.terraform.io", "registry.opentofu.org"}

// candidates returns the candidate mirror folders in priority order with
// their origin, whether or not they exist, and the VIGIL_PROVIDER_MIRROR
// entries that do not exist.
func (s MirrorSearch) candidates() (dirs []Mirror, missing []string) {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, d := range filepath.SplitList(getenv(EnvProviderMirror)) {
		if d == "" {
			continue
		}
		if !isDir(d) {
			missing = append(missing, d)
			continue
		}
		dirs = append(dirs, Mirror{Dir: d, Origin: EnvProviderMirror})
	}
	// Terraform's implied local mirrors; with an explicit
	// provider_installation block Terraform no longer looks there by itself.
	home := getenv("HOME")
	implied := []string{}
	if home != "" {
		implied = append(implied, filepath.Join(home, ".terraform.d", "plugins"))
		if runtime.GOOS == "darwin" {
			implied = append(implied, filepath.Join(home, "Library", "Application Support", "io.terraform", "plugins"))
		}
	}
	dataHome := getenv("XDG_DATA_HOME")
	if dataHome == "" && home != "" {
		dataHome = filepath.Join(home, ".local", "share")
	}
	dataDirs := []string{}
	if dataHome != "" {
		dataDirs = append(dataDirs, dataHome)
	}
	if x := getenv("XDG_DATA_DIRS"); x != "" {
		dataDirs = append(dataDirs, filepath.SplitList(x)...)
	} else {
		dataDirs = append(dataDirs, "/usr/local/share", "/usr/share")
	}
	for _, d := range dataDirs {
		implied = append(implied, filepath.Join(d, "terraform", "plugins"), filepath.Join(d, "opentofu", "plugins"))
	}
	if runtime.GOOS == "darwin" {
		implied = append(implied, "/Library/Application Support/io.terraform/plugins")
	}
	for _, d := range implied {
		dirs = append(dirs, Mirror{Dir: d, Origin: "implied"})
	}
	roots := s.ImageRoots
	if roots == nil {
		roots = DefaultImageRoots
	}
	for _, root := range roots {
		for _, child := range subdirs(root) {
			d := filepath.Join(root, child)
			if slices.ContainsFunc(registryHosts, func(h string) bool { return isDir(filepath.Join(d, h)) }) {
				dirs = append(dirs, Mirror{Dir: d, Origin: "machine image"})
			}
		}
	}
	return dirs, missing
}

// DiscoverMirrors scans every candidate folder that exists and returns the
// ones holding at least one provider for this platform, without duplicates.
// missing lists VIGIL_PROVIDER_MIRROR entries that do not exist.
func (s MirrorSearch) DiscoverMirrors() (mirrors []*Mirror, missing []string) {
	cands, missing := s.candidates()
	seen := map[string]bool{}
	for _, c := range cands {
		real, err := filepath.EvalSymlinks(c.Dir)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		if m := ScanMirror(c.Dir, c.Origin); len(m.Providers) > 0 || c.Origin == EnvProviderMirror {
			mirrors = append(mirrors, m)
		}
	}
	return mirrors, missing
}

func subdirs(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.IsDir() || (e.Type()&os.ModeSymlink != 0 && isDir(filepath.Join(dir, e.Name()))) {
			out = append(out, e.Name())
		}
	}
	return out
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
