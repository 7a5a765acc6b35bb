package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/testutil"
)

const awsRequired = "terraform {\n  required_providers {\n    aws = {\n      source = \"hashicorp/aws\"\n    }\n  }\n}\n"

// TestCheck runs the gate on one stack per kind of finding.
func TestCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform")
	}
	bin := testutil.Terraform(t)
	mirror := testutil.AWSProviderMirror(t)
	root := t.TempDir()
	files := map[string]string{
		"vigil.hcl":                             "project = \"t\"\n\nenvironment \"dev\" {}\n",
		"modules/m/main.tf":                     "variable \"name\" {\n  type = string\n}\n\nresource \"aws_sqs_queue\" \"q\" {\n  name = var.name\n}\n",
		"live/dev/clean/main.tf":                awsRequired + "\nmodule \"m\" {\n  source = \"../../../modules/m\"\n  name   = \"q\"\n}\n",
		"live/dev/unformatted/main.tf":          awsRequired + "\nresource \"aws_sqs_queue\" \"q\" {\n  name=\"q\"\n}\n",
		"live/dev/syntax/main.tf":               awsRequired + "\nresource \"aws_sqs_queue\" \"q\" {\n  name = \n}\n",
		"live/dev/invalid/main.tf":              awsRequired + "\nresource \"aws_sqs_queue\" \"q\" {\n  nmae = \"q\"\n}\n",
		"live/dev/lockfile/main.tf":             awsRequired,
		"live/dev/lockfile/.terraform.lock.hcl": "provider \"registry.terraform.io/hashicorp/aws\" {\n  version = \"5.100.0\"\n  hashes = [\n    \"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\n  ]\n}\n",
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(root, "vigil.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stack.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tc, err := terraform.New(ctx, terraform.Params{
		Binary:   bin,
		Root:     root,
		CacheDir: filepath.Join(root, "cache"),
		Environ:  testutil.Environ(map[string]string{"VIGIL_PROVIDER_MIRROR": mirror, "TF_CLI_CONFIG_FILE": ""}),
		Probe:    func(context.Context, string) error { return os.ErrDeadlineExceeded },
	})
	if err != nil {
		t.Fatal(err)
	}
	before := testutil.Snapshot(t, root)
	var events int
	report, err := Check(ctx, CheckParams{Root: root, Stacks: g.Stacks(), Terraform: tc, Parallelism: 2, Progress: func(CheckEvent) { events++ }})
	if err != nil {
		t.Fatal(err)
	}
	testutil.SameSnapshot(t, before, testutil.Snapshot(t, root))
	if events != 2*len(g.Stacks()) {
		t.Errorf("%d progress events, want %d", events, 2*len(g.Stacks()))
	}

	type want struct {
		ok          bool
		unformatted []string
		diags       []string // "severity file:line:col summary"
		errContains string
		lockFile    bool
	}
	wants := map[string]want{
		"dev/clean":       {ok: true},
		"dev/unformatted": {unformatted: []string{"live/dev/unformatted/main.tf"}},
		"dev/syntax":      {diags: []string{"error live/dev/syntax/main.tf:10:10 Invalid expression"}},
		"dev/invalid":     {diags: []string{"error live/dev/invalid/main.tf:10:3 Unsupported argument"}},
		"dev/lockfile":    {errContains: "live/dev/lockfile: ", lockFile: true},
	}
	if len(report.Stacks) != len(wants) || report.OK() || report.Failed() != 4 {
		t.Fatalf("report: %d stacks, ok=%t, failed=%d", len(report.Stacks), report.OK(), report.Failed())
	}
	for _, s := range report.Stacks {
		t.Run(s.ID, func(t *testing.T) {
			w := wants[s.ID]
			var diags []string
			for _, d := range s.Diagnostics {
				diags = append(diags, d.Severity+" "+d.Pos()+" "+d.Summary)
			}
			if s.OK() != w.ok || !reflect.DeepEqual(s.Unformatted, append([]string{}, w.unformatted...)) || !reflect.DeepEqual(diags, w.diags) || s.LockFile != w.lockFile {
				t.Errorf("got ok=%t unformatted=%q diags=%q lock=%t error=%q\nwant %+v", s.OK(), s.Unformatted, diags, s.LockFile, s.Error, w)
			}
			if (w.errContains == "") != (s.Error == "") || !strings.Contains(s.Error, w.errContains) {
				t.Errorf("error = %q, want it to contain %q", s.Error, w.errContains)
			}
		})
	}
}
