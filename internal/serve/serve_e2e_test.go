package serve_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/alert/alerttest"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/testutil/devenv"
)

// vigilServe is a `vigil serve` process of the devenv repository.
type vigilServe struct {
	cmd  *exec.Cmd
	url  string
	logs *strings.Builder
	done chan error
}

var listening = regexp.MustCompile(`vigil serve: (http://\S+) `)

func startVigilServe(t *testing.T, e *devenv.Env, env []string) *vigilServe {
	t.Helper()
	cmd := e.Command(context.Background(), "serve", "--addr", "127.0.0.1:0", "--env", "dev")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	v := &vigilServe{cmd: cmd, logs: &strings.Builder{}, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			v.logs.WriteString(line + "\n")
			if m := listening.FindStringSubmatch(line); m != nil {
				urlc <- m[1]
			}
		}
		v.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	select {
	case v.url = <-urlc:
	case err := <-v.done:
		t.Fatalf("vigil serve exited at start: %v\n%s", err, v.logs)
	case <-time.After(2 * time.Minute):
		t.Fatalf("vigil serve did not start listening:\n%s", v.logs)
	}
	return v
}

// stop sends SIGTERM and wants a clean exit (status 0).
func (v *vigilServe) stop(t *testing.T) {
	t.Helper()
	if err := v.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-v.done:
		if err != nil {
			t.Fatalf("vigil serve after SIGTERM: %v (want exit status 0)\n%s", err, v.logs)
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("vigil serve did not stop after SIGTERM:\n%s", v.logs)
	}
}

// metric returns the value of the first /metrics line starting with
// prefix ("" when absent).
func (v *vigilServe) metric(t *testing.T, prefix string) string {
	t.Helper()
	resp, err := http.Get(v.url + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(strings.TrimPrefix(line, prefix))
		}
	}
	return ""
}

// TestServeDrift is the acceptance test of drift in vigil serve, against
// the blueprint's dev environment applied to the sandbox, with one serve
// process at a time (a restart in the middle):
//
//   - an alarm threshold changed 25 → 50 with aws-sdk-go-v2 gives exactly
//     one alert at a webhook receiver, naming environment, stack, address,
//     attribute and 25 → 50, with a runbook link and a first step;
//   - a restart of vigil serve (SIGTERM: exit 0) sends no duplicate;
//   - reverting the change gives one resolve;
//   - deleting the alarm out of band reports it "deleted out of band";
//   - an SNS topic tagged for dev but created outside Terraform is
//     reported as unmanaged.
func TestServeDrift(t *testing.T) {
	e := devenv.Applied(t)
	hook := alerttest.NewRecorder(t, http.StatusOK)
	f, err := os.OpenFile(filepath.Join(e.Repo, config.FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, `
drift {
  every      = "30s"
  runbook    = "https://runbooks.example/drift.md"
}
serve { public_read = true }
alerts {
  webhook "ops" { url_env = "OPS_HOOK" }
  route { receivers = ["ops"] }
}
`)
	f.Close()
	env := []string{"OPS_HOOK=" + hook.URL}
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(e.AWSConfig())

	// The blueprint's 5xx alarm (threshold 25).
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var alarm *cwtypes.MetricAlarm
	for i, a := range out.MetricAlarms {
		if strings.HasSuffix(aws.ToString(a.AlarmName), "alb-target-5xx") {
			alarm = &out.MetricAlarms[i]
		}
	}
	if alarm == nil || aws.ToFloat64(alarm.Threshold) != 25 {
		t.Fatalf("no alb-target-5xx alarm with threshold 25 in the applied dev environment: %+v", alarm)
	}
	setThreshold := func(v float64) {
		t.Helper()
		a := *alarm
		_, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: a.AlarmName, AlarmDescription: a.AlarmDescription, ActionsEnabled: a.ActionsEnabled,
			AlarmActions: a.AlarmActions, OKActions: a.OKActions, InsufficientDataActions: a.InsufficientDataActions,
			MetricName: a.MetricName, Namespace: a.Namespace, Statistic: a.Statistic, ExtendedStatistic: a.ExtendedStatistic,
			Dimensions: a.Dimensions, Period: a.Period, EvaluationPeriods: a.EvaluationPeriods, DatapointsToAlarm: a.DatapointsToAlarm,
			Threshold: aws.Float64(v), ComparisonOperator: a.ComparisonOperator, TreatMissingData: a.TreatMissingData, Unit: a.Unit,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	const key = "drift/dev/observability"
	msgs := func() []alert.WebhookMessage { return hookMessages(t, hook) }

	s := startVigilServe(t, e, env)
	waitUntil(t, 8*time.Minute, "the first drift check", func() bool {
		return s.metric(t, `vigil_drift_checks_total{env="dev",result="clean"}`) != ""
	})
	if n := len(hook.Requests()); n != 0 {
		t.Fatalf("a clean environment sent %d notifications:\n%s", n, hook.Requests()[0].Body)
	}

	setThreshold(50)
	took := waitUntil(t, 5*time.Minute, "the drift alert", func() bool { return count(msgs(), key, alert.ActionTrigger) == 1 })
	t.Logf("drift alert %s after the out-of-band change (drift every 30s)", took.Round(time.Second))
	var a alert.Alert
	for _, m := range msgs() {
		if m.Action == alert.ActionTrigger && m.Alert.Key() == key {
			a = m.Alert
		}
	}
	text := a.Summary
	for _, d := range a.Details {
		text += "\n" + d.Key + ": " + d.Value
	}
	if a.Environment != "dev" || a.Stack != "dev/observability" || !strings.Contains(text, "aws_cloudwatch_metric_alarm.alb_target_5xx threshold") ||
		!strings.Contains(text, "25 → 50") || a.RunbookURL != "https://runbooks.example/drift.md" || !strings.Contains(a.FirstStep, "vigil drift --env dev --stack dev/observability") {
		t.Fatalf("drift alert = %+v\n%s", a, text)
	}

	// Restart: SIGTERM, exit 0, a new process; its checks send nothing new.
	s.stop(t)
	s = startVigilServe(t, e, env)
	defer s.stop(t)
	waitUntil(t, 5*time.Minute, "a drift check by the restarted serve", func() bool {
		return s.metric(t, `vigil_drift_checks_total{env="dev",result="drifted"}`) != ""
	})
	if n := count(msgs(), key, alert.ActionTrigger) + count(msgs(), key, alert.ActionUpdate); n != 1 {
		t.Fatalf("after the restart: %d triggers and updates, want the one trigger", n)
	}

	setThreshold(25)
	waitUntil(t, 5*time.Minute, "the resolve", func() bool { return count(msgs(), key, alert.ActionResolve) == 1 })

	// Out of band: delete the alarm; create a topic tagged for dev.
	if _, err := cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{aws.ToString(alarm.AlarmName)}}); err != nil {
		t.Fatal(err)
	}
	topic, err := sns.NewFromConfig(e.AWSConfig()).CreateTopic(ctx, &sns.CreateTopicInput{
		Name: aws.String("made-by-hand"),
		Tags: []snstypes.Tag{{Key: aws.String("vigil:env"), Value: aws.String("dev")}, {Key: aws.String("managed-by"), Value: aws.String("vigil")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(topic.TopicArn)
	waitUntil(t, 5*time.Minute, "the deletion and unmanaged alerts", func() bool {
		return count(msgs(), key, alert.ActionTrigger) == 2 && count(msgs(), "drift/dev/unmanaged", alert.ActionTrigger) == 1
	})
	var deleted, unmanaged string
	for _, m := range msgs() {
		if m.Action != alert.ActionTrigger {
			continue
		}
		for _, d := range m.Alert.Details {
			switch m.Alert.Key() {
			case key:
				deleted += d.Key + ": " + d.Value + "\n"
			case "drift/dev/unmanaged":
				unmanaged += d.Key + ": " + d.Value + "\n"
			}
		}
	}
	if !strings.Contains(deleted, "aws_cloudwatch_metric_alarm.alb_target_5xx: deleted out of band") {
		t.Errorf("deletion alert details:\n%s", deleted)
	}
	if !strings.Contains(unmanaged, "unmanaged: "+arn) {
		t.Errorf("unmanaged alert details (want %s):\n%s", arn, unmanaged)
	}
	if v := s.metric(t, `vigil_drift_findings{env="dev",stack="dev/observability"}`); v == "" || v == "0" {
		t.Errorf("vigil_drift_findings of dev/observability = %q", v)
	}
}
