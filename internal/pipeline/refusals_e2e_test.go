package pipeline

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/store"
)

// wantBroken asserts that err is a *BindingError naming element (and says
// what).
func wantBroken(t *testing.T, err error, element, says string) {
	t.Helper()
	var berr *BindingError
	if !errors.As(err, &berr) {
		t.Fatalf("err = %v, want a *BindingError (%s)", err, element)
	}
	if got := berr.Elements(); len(got) != 1 || got[0] != element {
		t.Fatalf("broken elements %v, want [%s]\n%v", got, element, err)
	}
	if !strings.Contains(err.Error(), says) {
		t.Fatalf("refusal does not say %q:\n%v", says, err)
	}
}

func (w *e2e) apply(user, runID string) (*ApplyResult, error) {
	return w.pipeline(user).Apply(w.ctx(), ApplyParams{RunID: runID})
}

func (w *e2e) edit(rel, old, new string) {
	w.t.Helper()
	path := filepath.Join(w.root, rel)
	b, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		w.t.Fatalf("%s has no %q", rel, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// TestApplyRefusals provokes each refusal of a broken binding, one after
// the other on one environment: a plan made before any state existed and
// applied after another run created it (terraform issue 27721), a changed
// lock file, a byte flipped in a plan file, a resource changed out of band,
// a different expected fingerprint, a different commit. Each refusal names
// what broke; the run is recorded as refused; the audit log stays intact.
func TestApplyRefusals(t *testing.T) {
	w := newE2E(t, "basic")
	w.bootstrap("dev")
	ctx := w.ctx()

	// 27721: plan A before any state exists, plan and apply B, apply A.
	a := w.plan("ana", "dev", "base")
	b := w.plan("ana", "dev", "base")
	if _, err := w.apply("ana", b.Run.ID); err != nil {
		t.Fatal(err)
	}
	_, err := w.apply("ana", a.Run.ID)
	wantBroken(t, err, ElementState, "27721")
	if r, _ := w.st.RunGet(ctx, a.Run.ID); r.Status != store.RunRefused {
		t.Fatalf("run A is %s, want refused", r.Status)
	}

	// The lock file changes between plan and apply.
	w.edit("live/dev/base/main.tf", `default = "Pager"`, `default = "Pager v2"`)
	c := w.plan("ana", "dev", "base")
	lock := filepath.Join(w.root, "live/dev/base/.terraform.lock.hcl")
	orig, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, append(append([]byte{}, orig...), "# edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = w.apply("ana", c.Run.ID)
	wantBroken(t, err, ElementLockFile, ".terraform.lock.hcl changed")
	if err := os.WriteFile(lock, orig, 0o644); err != nil {
		t.Fatal(err)
	}

	// A byte flipped in a plan file.
	d := w.plan("ana", "dev", "base")
	planFile := filepath.Join(w.root, ".vigil", "runs", d.Run.ID, "dev", "base", PlanFileName)
	pb, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	pb[len(pb)/2] ^= 0x01
	if err := os.WriteFile(planFile, pb, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = w.apply("ana", d.Run.ID)
	wantBroken(t, err, ElementPlanFile, "plan file changed")

	// A resource changed out of band between plan and apply.
	e := w.plan("ana", "dev", "base")
	client := sns.NewFromConfig(w.sb.AWSConfig())
	arn := "arn:aws:sns:us-east-1:123456789012:fx-dev-pager"
	if _, err := client.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Changed by hand")}); err != nil {
		t.Fatalf("out-of-band change: %v", err)
	}
	_, err = w.apply("ana", e.Run.ID)
	wantBroken(t, err, ElementResources, "fresh plan brings different changes")

	// --replan --expect: a different fingerprint is refused, the reviewed
	// one applies (both waves).
	f := w.plan("ana", "dev", "base")
	_, err = w.pipeline("ana").ReplanApply(ctx, ReplanParams{Env: "dev", Expect: "sha256:" + strings.Repeat("0", 64)})
	var ferr *FingerprintError
	if !errors.As(err, &ferr) || ferr.Got != f.Run.Fingerprint {
		t.Fatalf("replan with another fingerprint: %v (want got=%s)", err, f.Run.Fingerprint)
	}
	res, err := w.pipeline("ana").ReplanApply(ctx, ReplanParams{Env: "dev", Expect: f.Run.Fingerprint})
	if err != nil {
		t.Fatalf("replan with the reviewed fingerprint: %v", err)
	}
	if len(res.Runs) != 2 || res.Runs[0].Kind != KindReplanApply || res.Runs[1].Status != store.RunApplied {
		t.Fatalf("replan-apply runs: %+v", res.Runs)
	}

	// A different commit.
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", w.root, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(w.root, ".gitignore"), []byte(".vigil/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("init", "-q")
	w.edit("live/dev/base/main.tf", `default = "Pager v2"`, `default = "Pager v3"`)
	git("add", ".")
	git("commit", "-q", "-m", "v3")
	g := w.plan("ana", "dev", "base")
	git("commit", "-q", "--allow-empty", "-m", "another")
	_, err = w.apply("ana", g.Run.ID)
	wantBroken(t, err, ElementCommit, "planned at commit")

	if n, err := w.pipeline("ana").VerifyAudit(context.Background()); err != nil {
		t.Fatalf("audit after refusals: %d, %v", n, err)
	}
}
