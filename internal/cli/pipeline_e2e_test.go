package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/testutil"
	"github.com/vigil-sre/vigil/internal/testutil/devenv"
)

// envTestMain makes the test binary act as the vigil binary, for tests
// that run vigil as a separate process (to kill it).
const envTestMain = "VIGIL_CLI_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envTestMain) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		f := NewFactory("test")
		err := NewCmdRoot(f).ExecuteContext(ctx)
		stop()
		os.Exit(Exit(f.IOStreams, err))
	}
	os.Exit(m.Run())
}

// pipelineWorld is a copy of a pipeline fixture repository and a sandbox
// that every vigil (in-process or not) of the test finds through
// VIGIL_SANDBOX_DATA_DIR.
type pipelineWorld struct {
	repo string
	sb   *sandboxtest.Sandbox
}

func newPipelineWorld(t *testing.T, fixture string) *pipelineWorld {
	t.Helper()
	if testing.Short() {
		t.Skip("runs terraform against the sandbox")
	}
	testutil.Terraform(t)
	testutil.AWSProviderMirror(t)
	e2eEnv(t)
	t.Setenv("TF_CLI_CONFIG_FILE", "")
	repo := t.TempDir()
	testutil.CopyTree(t, filepath.Join("..", "pipeline", "testdata", "repos", fixture), repo)
	sb := sandboxtest.Start(t)
	t.Setenv(target.DataDirEnv, sb.Dir)
	return &pipelineWorld{repo: repo, sb: sb}
}

// vigil runs a command line in-process in the world's repository.
func (w *pipelineWorld) vigil(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runVigil(t, append([]string{"-C", w.repo}, args...)...)
}

func (w *pipelineWorld) mustVigil(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := w.vigil(t, args...)
	if code != 0 {
		t.Fatalf("vigil %s = %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func runIDOf(t *testing.T, jsonOut string) string {
	t.Helper()
	var r struct {
		RunID string `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &r); err != nil || r.RunID == "" {
		t.Fatalf("no run_id in %q: %v", jsonOut, err)
	}
	return r.RunID
}

// TestPipelineProdOnSandbox is the acceptance flow of prod rehearsed on the
// sandbox, through the command line: plan --json reports the run id; apply
// without approval is refused; after approve, it applies; the next wave
// needs its own approval. No output holds the secret. Editing a stored
// record makes audit verify fail, naming it.
func TestPipelineProdOnSandbox(t *testing.T) {
	w := newPipelineWorld(t, "basic")
	t.Setenv("VIGIL_USER", "ana")
	var all strings.Builder
	run := func(args ...string) (int, string, string) {
		code, out, errOut := w.vigil(t, args...)
		all.WriteString(out + errOut)
		return code, out, errOut
	}
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(args...)
		if code != 0 {
			t.Fatalf("vigil %s = %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}

	must("bootstrap", "--env", "prod", "--target", "sandbox", "--yes")
	id := runIDOf(t, must("plan", "--env", "prod", "--target", "sandbox", "--json"))
	if code, _, errOut := run("plan", "--env", "prod", "--detailed-exitcode"); code != 2 {
		t.Fatalf("plan --detailed-exitcode with changes = %d\n%s", code, errOut)
	}

	code, _, errOut := run("apply", id)
	if code != 1 || !strings.Contains(errOut, "requires an approval") {
		t.Fatalf("apply without approval = %d\n%s", code, errOut)
	}
	if code, _, errOut := run("approve", id, "--by", "ana"); code != 1 || !strings.Contains(errOut, "cannot approve it") {
		t.Fatalf("self-approval = %d\n%s", code, errOut)
	}
	if out := must("approve", id, "--by", "bob", "--comment", "reviewed"); !strings.Contains(out, "approved by bob") {
		t.Fatalf("approve: %s", out)
	}
	out := must("apply", id)
	if !strings.Contains(out, "Next wave planned as run") || !strings.Contains(out, "prod/app") {
		t.Fatalf("apply did not plan the next wave:\n%s", out)
	}
	md := must("show", id, "--markdown")
	if !strings.Contains(md, "| `prod/base` | applied |") {
		t.Errorf("show --markdown:\n%s", md)
	}
	var runs []struct{ ID, Status string }
	if err := json.Unmarshal([]byte(must("runs", "--env", "prod", "--json")), &runs); err != nil || len(runs) < 3 {
		t.Fatalf("runs --json: %v %+v", err, runs)
	}
	if strings.Contains(all.String(), "Tr0ub4dor") {
		t.Errorf("the password reached vigil's output")
	}
	if out := must("audit", "verify"); !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit verify: %s", out)
	}

	// Edit one stored record behind vigil's back.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(w.repo, ".vigil", StoreFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run("audit", "verify")
	if code != 1 || !strings.Contains(errOut, "audit chain broken at record 3") {
		t.Fatalf("audit verify after an edit = %d\n%s", code, errOut)
	}
}

// TestKill9MidApply kills a vigil process (SIGKILL) in the middle of an
// apply. The run then reads as interrupted, a new plan fails naming who
// holds the state lock, vigil unlock shows the holder and releases it, and
// a new plan and apply complete. The audit log stays intact.
func TestKill9MidApply(t *testing.T) {
	w := newPipelineWorld(t, "slow")
	w.mustVigil(t, "bootstrap", "--env", "dev")
	marker := filepath.Join(w.repo, "live", "dev", "slow", ".slow")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	id := runIDOf(t, w.mustVigil(t, "plan", "--env", "dev", "--json"))

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-C", w.repo, "apply", id)
	cmd.Env = append(os.Environ(), envTestMain+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	applyLog := filepath.Join(w.repo, ".vigil", "runs", id, "dev", "slow", "apply.log")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, _ := os.ReadFile(applyLog)
		if bytes.Contains(b, []byte("local-exec")) {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("the apply never reached the provisioner; output:\n%s\nlog:\n%s", out.String(), b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	var runs []struct{ ID, Status string }
	if err := json.Unmarshal([]byte(w.mustVigil(t, "runs", "--json")), &runs); err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(runs, func(r struct{ ID, Status string }) bool { return r.ID == id }); i < 0 || runs[i].Status != "interrupted" {
		t.Fatalf("runs after kill -9: %+v, want %s interrupted", runs, id)
	}
	if show := w.mustVigil(t, "show", id); !strings.Contains(show, "interrupted") {
		t.Errorf("show of the killed run:\n%s", show)
	}

	code, planOut, errOut := w.vigil(t, "plan", "--env", "dev")
	if code != 1 || !strings.Contains(planOut, "is locked by") || !strings.Contains(planOut, "vigil unlock dev/slow") {
		t.Fatalf("plan with a stale state lock = %d\nstdout:\n%s\nstderr:\n%s", code, planOut, errOut)
	}
	unlock := w.mustVigil(t, "unlock", "dev/slow")
	if !strings.Contains(unlock, "was locked") || !strings.Contains(unlock, "lock ID") || !strings.Contains(unlock, "Released") {
		t.Fatalf("unlock:\n%s", unlock)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	id2 := runIDOf(t, w.mustVigil(t, "plan", "--env", "dev", "--json"))
	w.mustVigil(t, "apply", id2)
	if code, out, _ := w.vigil(t, "plan", "--env", "dev", "--detailed-exitcode"); code != 0 {
		t.Fatalf("plan after the recovery has changes (%d):\n%s", code, out)
	}
	w.mustVigil(t, "audit", "verify")
	var events []struct{ Action, Outcome string }
	if err := json.Unmarshal([]byte(w.mustVigil(t, "audit", "--json")), &events); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action+":"+e.Outcome)
	}
	for _, want := range []string{"interrupt:interrupted", "unlock:released"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
}

// TestUpBlueprint: in a repository `vigil init` just wrote into an empty
// folder (the blueprint), vigil up --once brings dev's four layers up on
// the sandbox (bootstrap, check, plan, apply wave by wave) — the shared
// devenv snapshot is exactly that run, so its output is checked here — and
// a second vigil up finds nothing to change.
func TestUpBlueprint(t *testing.T) {
	e := devenv.Applied(t)
	for _, want := range []string{"created the state bucket vigil-dev-tfstate", "Every stack of dev is applied", "dev/remediation applied"} {
		if !strings.Contains(e.UpOutput, want) {
			t.Errorf("the first vigil up's output lacks %q:\n%s", want, e.UpOutput)
		}
	}
	code, out, errOut := runVigil(t, "-C", e.Repo, "up", "--once")
	if code != 0 || !strings.Contains(out, "Nothing to change") {
		t.Fatalf("second vigil up = %d\n%s\n%s", code, out, errOut)
	}
}

// writeZip writes a zip holding one file.
func writeZip(t *testing.T, path, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
