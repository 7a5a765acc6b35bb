package drifttest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// Names in the fixture.
const (
	Env    = "test"
	Bucket = "vigil-test-tfstate"
)

// Layers are the fixture's stacks, in apply order.
var Layers = []string{"alerts", "watch"}

// Fixture is one test's applied copy of the fixture repository.
type Fixture struct {
	// Root is the repository copy (holding vigil.hcl).
	Root    string
	Sandbox *sandboxtest.Sandbox

	tfBin   string
	tfEnv   []string
	dataDir string
}

// RepoDir is the fixture repository in the source tree.
func RepoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "repo")
}

// New copies the fixture, starts a sandbox, makes the state bucket and
// applies every stack. It skips in -short mode and without terraform or
// the AWS provider mirror (fails under CI=true).
func New(t *testing.T) *Fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("applies two stacks with terraform against the sandbox")
	}
	testutil.Terraform(t)
	testutil.AWSProviderMirror(t)
	f := &Fixture{Root: t.TempDir(), dataDir: t.TempDir()}
	testutil.CopyTree(t, RepoDir(), f.Root)
	f.Sandbox = sandboxtest.Start(t)
	f.tfBin, f.tfEnv = sandboxtest.Terraform(t)
	f.tfEnv = append(f.tfEnv, f.Sandbox.Env()...)

	ctx := context.Background()
	s3c := s3.NewFromConfig(f.AWS(), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(Bucket)}); err != nil {
		t.Fatalf("create the state bucket: %v", err)
	}
	for _, l := range Layers { // one at a time: they share a plugin cache
		f.Terraform(t, l, "init", "-input=false", "-no-color")
	}
	var wg sync.WaitGroup
	for _, l := range Layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Terraform(t, l, "apply", "-auto-approve", "-input=false", "-no-color")
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return f
}

// Dir is the folder of a stack of the copy.
func (f *Fixture) Dir(layer string) string {
	return filepath.Join(f.Root, "live", Env, layer)
}

// Command returns a plain terraform command in a stack of the copy,
// pointed at the sandbox (its data dir outside the repository).
func (f *Fixture) Command(ctx context.Context, layer string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, f.tfBin, args...)
	cmd.Dir = f.Dir(layer)
	cmd.Env = append(append([]string{}, f.tfEnv...), "TF_DATA_DIR="+filepath.Join(f.dataDir, layer))
	return cmd
}

// Terraform runs terraform in a stack and fails the test when it fails.
func (f *Fixture) Terraform(t *testing.T, layer string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := f.Command(ctx, layer, args...).CombinedOutput()
	if err != nil {
		t.Errorf("terraform %s in %s: %v\n%s", strings.Join(args, " "), layer, err, out)
	}
}

// EnvMap is the environment that points Terraform and SDKs at the sandbox.
func (f *Fixture) EnvMap() map[string]string {
	m := map[string]string{}
	for _, kv := range f.Sandbox.Env() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// Target is the fixture environment's resolved target.
func (f *Fixture) Target() *target.Target {
	return &target.Target{Kind: config.TargetSandbox, Region: "us-east-1", Env: f.EnvMap()}
}

// AWS is an aws-sdk-go-v2 config for the fixture's sandbox.
func (f *Fixture) AWS() aws.Config { return f.Sandbox.AWSConfig() }

// SetAlarmThreshold changes an alarm's threshold out of band, keeping
// every other setting.
func (f *Fixture) SetAlarmThreshold(t *testing.T, name string, threshold float64) {
	t.Helper()
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(f.AWS())
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("describe alarm %s: %v (%d found)", name, err, len(out.MetricAlarms))
	}
	a := out.MetricAlarms[0]
	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: a.AlarmName, AlarmDescription: a.AlarmDescription, Namespace: a.Namespace, MetricName: a.MetricName,
		Statistic: a.Statistic, Period: a.Period, EvaluationPeriods: a.EvaluationPeriods, DatapointsToAlarm: a.DatapointsToAlarm,
		Threshold: aws.Float64(threshold), ComparisonOperator: a.ComparisonOperator, TreatMissingData: a.TreatMissingData,
		AlarmActions: a.AlarmActions, OKActions: a.OKActions, InsufficientDataActions: a.InsufficientDataActions,
		Dimensions: a.Dimensions, ActionsEnabled: a.ActionsEnabled,
	})
	if err != nil {
		t.Fatalf("put alarm %s: %v", name, err)
	}
}

// EditFile replaces old with new in a file of the copy (a code change).
func (f *Fixture) EditFile(t *testing.T, rel, old, new string) {
	t.Helper()
	p := filepath.Join(f.Root, filepath.FromSlash(rel))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
