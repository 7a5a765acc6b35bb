package drift_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/drift/drifttest"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// check runs drift.Check on the fixture as a fresh vigil process would:
// vigil.hcl and the stacks read afresh.
func check(t *testing.T, ctx context.Context, f *drifttest.Fixture, tc *terraform.Toolchain, stacks ...string) *drift.Report {
	t.Helper()
	rep, err := drift.Check(ctx, params(t, f, tc, stacks...))
	if err != nil {
		t.Fatalf("drift.Check: %v", err)
	}
	for _, s := range rep.Stacks {
		if s.Error != "" {
			t.Fatalf("stack %s: %s", s.Stack, s.Error)
		}
	}
	noProviderLeft(t, "after drift.Check")
	return rep
}

func params(t *testing.T, f *drifttest.Fixture, tc *terraform.Toolchain, stacks ...string) drift.Params {
	t.Helper()
	cfg, err := config.Load(filepath.Join(f.Root, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stack.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return drift.Params{Config: cfg, Graph: g, Env: drifttest.Env, Stacks: stacks, Terraform: tc, Target: f.Target(), Parallelism: 2}
}

// sameAsRefreshOnly checks a report against what the sequential loop of
// plain `terraform plan -refresh-only` (terraform launching its own
// provider, no vigil) finds in each stack: every changed finding is an
// attribute the refresh-only plan shows changing from the same value to the
// same value, every deleted finding a resource it shows deleted, and every
// resource it shows deleted is a deleted finding.
func sameAsRefreshOnly(t *testing.T, ctx context.Context, f *drifttest.Fixture, rep *drift.Report) {
	t.Helper()
	for _, s := range rep.Stacks {
		layer := strings.TrimPrefix(s.Stack, drifttest.Env+"/")
		planFile := filepath.Join(t.TempDir(), "refresh.tfplan")
		if out, err := f.Command(ctx, layer, "plan", "-refresh-only", "-lock=false", "-input=false", "-no-color", "-out="+planFile).CombinedOutput(); err != nil {
			t.Fatalf("%s: terraform plan -refresh-only: %v\n%s", s.Stack, err, out)
		}
		raw, err := f.Command(ctx, layer, "show", "-json", planFile).Output()
		if err != nil {
			t.Fatalf("%s: terraform show -json: %v", s.Stack, err)
		}
		masked, _, err := review.Mask(raw)
		if err != nil {
			t.Fatal(err)
		}
		p, err := drift.ParsePlan(masked)
		if err != nil {
			t.Fatal(err)
		}
		drifted := map[string]*tfjson.ResourceChange{}
		deleted := map[string]bool{}
		for _, rc := range p.ResourceDrift {
			drifted[rc.Address] = rc
			if rc.Change.Actions.Delete() {
				deleted[rc.Address] = true
			}
		}
		reported := map[string]bool{}
		for _, fd := range s.Drift {
			rc := drifted[fd.Address]
			switch fd.Kind {
			case drift.KindDeleted:
				if !deleted[fd.Address] {
					t.Errorf("%s: drift reports %s deleted; the refresh-only plan does not", s.Stack, fd.Address)
				}
			case drift.KindChanged:
				if rc == nil || !rc.Change.Actions.Update() {
					t.Errorf("%s: drift reports %s changed; the refresh-only plan does not show it drifted", s.Stack, fd.Address)
					continue
				}
				before, after := drift.Leaves(rc.Change.Before)[fd.Attribute], drift.Leaves(rc.Change.After)[fd.Attribute]
				if before != fd.Before || after != fd.After {
					t.Errorf("%s: %s %s: drift says %s → %s, the refresh-only plan %s → %s", s.Stack, fd.Address, fd.Attribute, fd.Before, fd.After, before, after)
				}
			}
			reported[fd.Address] = true
		}
		for addr := range deleted {
			if !reported[addr] {
				t.Errorf("%s: the refresh-only plan shows %s deleted; drift does not report it", s.Stack, addr)
			}
		}
		for addr := range drifted {
			if !reported[addr] {
				t.Logf("%s: %s drifted in the refresh-only plan only in attributes the code does not set (not reported, by design)", s.Stack, addr)
			}
		}
	}
}

func toolchain(t *testing.T, root string) *terraform.Toolchain {
	t.Helper()
	tc, err := terraform.New(context.Background(), terraform.Params{Root: root,
		Environ: testutil.Environ(map[string]string{"TF_CLI_CONFIG_FILE": "", "TF_PLUGIN_CACHE_DIR": ""})})
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// find returns the findings of a kind at an address (and attribute).
func find(rep *drift.Report, kind, address, attribute string) []drift.Finding {
	var out []drift.Finding
	for _, f := range rep.Findings() {
		if f.Kind == kind && f.Address == address && (attribute == "" || f.Attribute == attribute) {
			out = append(out, f)
		}
	}
	return out
}

// TestCheckSandbox walks the kinds of finding on the fixture: clean after
// apply; then a threshold changed 25 → 50, an alarm deleted, an SNS topic
// with the environment's tags created outside Terraform, a display name
// edited that an ignore rule covers, and a code change not applied.
// Finally drift runs while a terraform apply holds a stack's state lock,
// and still completes, with the same fingerprints.
func TestCheckSandbox(t *testing.T) {
	f := drifttest.New(t)
	tc := toolchain(t, f.Root)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// Clean.
	rep := check(t, ctx, f, tc)
	if rep.Drifted() || rep.Failed() || len(rep.Findings()) != 0 {
		t.Fatalf("after apply: want no findings, got %+v", rep.Findings())
	}
	if !rep.Unmanaged.Checked || len(rep.Unmanaged.Kinds) == 0 {
		t.Fatalf("unmanaged check did not run: %+v", rep.Unmanaged)
	}
	for _, s := range rep.Stacks {
		if s.Status != drift.StatusClean {
			t.Errorf("%s: status %s, want clean", s.Stack, s.Status)
		}
	}

	// Out of band, with aws-sdk-go-v2; plus one code change.
	f.SetAlarmThreshold(t, "test-errors", 50)
	cw := cloudwatch.NewFromConfig(f.AWS())
	if _, err := cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"test-latency"}}); err != nil {
		t.Fatal(err)
	}
	sc := sns.NewFromConfig(f.AWS())
	rogue, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("test-rogue"), Tags: []snstypes.Tag{
		{Key: aws.String("vigil:env"), Value: aws.String("test")}, {Key: aws.String("managed-by"), Value: aws.String("vigil")}}})
	if err != nil {
		t.Fatal(err)
	}
	// Another environment's topic is none of test's business.
	if _, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("prod-thing"), Tags: []snstypes.Tag{
		{Key: aws.String("vigil:env"), Value: aws.String("prod")}, {Key: aws.String("managed-by"), Value: aws.String("vigil")}}}); err != nil {
		t.Fatal(err)
	}
	topics, err := sc.ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics.Topics {
		if strings.HasSuffix(aws.ToString(tp.TopicArn), ":test-pager") {
			if _, err := sc.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Pager (edited)")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.EditFile(t, "live/test/alerts/main.tf", `alarm_description   = "Target 5xx above 25 per minute."`, `alarm_description   = "Target 5xx above 25 per minute; runbook: errors.md"`)
	f.EditFile(t, "vigil.hcl", "environment \"test\" {", `drift {
  ignore {
    address   = "aws_sns_topic.*"
    attribute = "display_name"
    reason    = "the on-call renames pager topics"
  }
}

environment "test" {`)

	rep = check(t, ctx, f, tc)
	if !rep.Drifted() || rep.Failed() {
		t.Fatalf("drifted = %v, failed = %v, want drift and no failure", rep.Drifted(), rep.Failed())
	}
	th := find(rep, drift.KindChanged, "aws_cloudwatch_metric_alarm.errors", "threshold")
	if len(th) != 1 || th[0].Env != "test" || th[0].Stack != "test/alerts" || th[0].Before != "25" || th[0].After != "50" || th[0].Fingerprint == "" || th[0].Ignored != nil {
		t.Errorf("threshold finding = %+v", th)
	}
	if del := find(rep, drift.KindDeleted, "aws_cloudwatch_metric_alarm.latency", ""); len(del) != 1 || del[0].Stack != "test/watch" {
		t.Errorf("deleted finding = %+v", del)
	}
	if un := rep.Unmanaged.Findings; len(un) != 1 || un[0].Address != aws.ToString(rogue.TopicArn) || un[0].Type != "aws_sns_topic" || un[0].Stack != "" {
		t.Errorf("unmanaged = %+v, want only %s", un, aws.ToString(rogue.TopicArn))
	}
	if ign := find(rep, drift.KindChanged, "aws_sns_topic.pager", "display_name"); len(ign) != 1 || ign[0].Ignored == nil || ign[0].Ignored.Reason != "the on-call renames pager topics" || ign[0].After != `"Pager (edited)"` {
		t.Errorf("ignored finding = %+v", ign)
	}
	pend := find(rep, drift.KindPending, "aws_cloudwatch_metric_alarm.errors", "")
	if len(pend) != 1 || pend[0].Action != "update" || len(pend[0].Attrs) != 1 || pend[0].Attrs[0].Path != "alarm_description" {
		t.Errorf("pending = %+v, want the alarm_description update alone (the threshold revert is not code)", pend)
	}
	c := rep.Counts()
	if c != (drift.Counts{Changed: 1, Deleted: 1, Unmanaged: 1, Pending: 1, Ignored: 1, Resources: 1}) {
		t.Errorf("counts = %+v", c)
	}
	fingerprints := map[string]bool{}
	for _, fd := range rep.Findings() {
		fingerprints[fd.Fingerprint] = true
	}
	// The same drift as the plain loop of refresh-only plans finds.
	sameAsRefreshOnly(t, ctx, f, rep)

	// A provider plugin dies while the sweep runs (killed as test/watch's
	// plan is about to use it): that stack fails with an error saying so,
	// the other stack is still checked, nothing hangs and no plugin is
	// left running.
	var mu sync.Mutex
	var killed []int
	crashed := drift.OnProvidersStarted(params(t, f, tc), func(stack string, pids []int) {
		if stack != drifttest.Env+"/watch" {
			return
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Errorf("kill provider %d: %v", pid, err)
			}
		}
		mu.Lock()
		killed = append(killed, pids...)
		mu.Unlock()
	})
	crashCtx, crashCancel := context.WithTimeout(ctx, 5*time.Minute)
	crashRep, err := drift.Check(crashCtx, crashed)
	crashCancel()
	if err != nil {
		t.Fatalf("drift.Check with a crashed provider: %v (it must report the stack, not hang or fail as a whole)", err)
	}
	if len(killed) == 0 {
		t.Fatal("no provider plugin was started for test/watch's plan: the crash test proves nothing")
	}
	for _, s := range crashRep.Stacks {
		switch s.Stack {
		case drifttest.Env + "/watch":
			if s.Status != drift.StatusError || !strings.Contains(s.Error, "provider plugin registry.terraform.io/hashicorp/aws") || !strings.Contains(s.Error, "ended while terraform was using it") {
				t.Errorf("watch with its provider killed: status %s, error %q; want an error naming the provider that ended", s.Status, s.Error)
			}
			t.Logf("with its provider killed, %s reports: %s", s.Stack, s.Error)
		default:
			if s.Status == drift.StatusError {
				t.Errorf("%s failed although its provider was not touched: %s", s.Stack, s.Error)
			}
		}
	}
	if !crashRep.Failed() || crashRep.Unmanaged.Checked {
		t.Errorf("with a stack failed: failed = %v, unmanaged checked = %v; want failed and the unmanaged check skipped", crashRep.Failed(), crashRep.Unmanaged.Checked)
	}
	noProviderLeft(t, "after a sweep whose provider crashed")

	// One stack only: no unmanaged check, the stack's own findings.
	one := check(t, ctx, f, tc, "watch")
	if len(one.Stacks) != 1 || one.Unmanaged.Checked || one.Unmanaged.Skipped == "" || !one.Drifted() {
		t.Errorf("--stack watch: %d stacks, unmanaged %+v", len(one.Stacks), one.Unmanaged)
	}

	// A terraform apply holds test/alerts' state lock (a slow local-exec)
	// while drift runs: drift neither waits nor fails.
	apply := f.Command(ctx, "alerts", "apply", "-auto-approve", "-input=false", "-no-color",
		"-target=terraform_data.slow", "-var=slow_token=hold", "-var=slow_seconds=120")
	apply.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logPath := filepath.Join(t.TempDir(), "apply.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	apply.Stdout, apply.Stderr = logFile, logFile
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- apply.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-apply.Process.Pid, syscall.SIGKILL)
		<-done
	})
	s3c := s3.NewFromConfig(f.AWS(), func(o *s3.Options) { o.UsePathStyle = true })
	lockKey := "test/alerts/terraform.tfstate.tflock"
	locked := func() bool {
		_, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(drifttest.Bucket), Key: aws.String(lockKey)})
		return err == nil
	}
	for deadline := time.Now().Add(2 * time.Minute); !locked(); time.Sleep(200 * time.Millisecond) {
		select {
		case err := <-done:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("apply ended before taking the lock: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the apply never took the state lock")
		}
	}
	start := time.Now()
	held := check(t, ctx, f, tc)
	if !locked() {
		t.Fatalf("the apply released the lock before drift finished (drift took %s): the test proves nothing", time.Since(start))
	}
	for _, fd := range held.Findings() {
		if !fingerprints[fd.Fingerprint] {
			t.Errorf("finding %s has a new fingerprint %s under the lock", fd.String(), fd.Fingerprint)
		}
	}
	if len(held.Findings()) != len(fingerprints) {
		t.Errorf("under the lock: %d findings, want %d", len(held.Findings()), len(fingerprints))
	}
	t.Logf("drift completed in %s while an apply held test/alerts' state lock", time.Since(start).Round(time.Millisecond))
}
