package gameday_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/vigil-sre/vigil/internal/gameday"
	"github.com/vigil-sre/vigil/internal/remediate"
	"github.com/vigil-sre/vigil/internal/testutil/devenv"
)

// TestAcceptance runs the scenarios, one after the other, against
// one applied dev environment (the real remediator zip included).
func TestAcceptance(t *testing.T) {
	env := devenv.Applied(t)
	ctx := context.Background()
	sb := gameday.Sandbox{URL: env.Sandbox.URL(), AWS: env.AWSConfig()}
	run := func(t *testing.T, name string) *gameday.Report {
		t.Helper()
		sc, err := gameday.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := gameday.Run(ctx, sb, sc, gameday.Options{})
		if rep != nil {
			t.Logf("\n%s", rep.Text())
		}
		if err != nil {
			t.Fatalf("game day %s: %v", name, err)
		}
		return rep
	}
	transitions := func(rep *gameday.Report, suffix string) []gameday.Transition {
		var out []gameday.Transition
		for _, tr := range rep.Transitions {
			if strings.HasSuffix(tr.Alarm, suffix) {
				out = append(out, tr)
			}
		}
		return out
	}

	t.Run("bad-task", func(t *testing.T) {
		rep := run(t, "bad-task")
		// The 5xx alarm (2 of 3 minutes) fires at the end of the second
		// breaching minute, not the first.
		d, ok := rep.TimeToDetect()
		if !ok || d != 2*time.Minute {
			t.Errorf("time to detect = %v (detected %v), want 2m0s", d, ok)
		}
		if _, ok := rep.TimeToRecover(); !ok {
			t.Errorf("the 5xx alarm did not return to OK")
		}
		// The pager got the 5xx alarm's ALARM then OK, in SNS envelopes.
		// (A fresh copy of the environment also pages OK for every alarm
		// leaving INSUFFICIENT_DATA before the fault, as AWS does.)
		var subjects []string
		for _, p := range rep.Pages {
			if p.Type != "Notification" || p.TopicARN != rep.Target.PagerTopicARN || p.SignatureVersion == "" || p.MessageID == "" {
				t.Errorf("page is not an SNS notification envelope: %+v", p)
			}
			if p.Timestamp.Before(rep.FaultAt) || !strings.Contains(p.Subject, "alb-target-5xx") {
				continue
			}
			subjects = append(subjects, p.Subject)
		}
		if len(subjects) != 2 || !strings.HasPrefix(subjects[0], `ALARM: "`) || !strings.HasPrefix(subjects[1], `OK: "`) {
			t.Errorf("5xx alarm pages after the fault = %q, want ALARM then OK", subjects)
		}
		// No escalation: the remediation worked.
		for _, p := range rep.Pages {
			if strings.Contains(p.Subject, "escalated") {
				t.Errorf("escalated although the bad task could be replaced: %s\n%s", p.Subject, p.Message)
			}
		}
		// The real remediator stopped the bad task, and a healthy one
		// replaced it.
		bad := badTasks(t, rep)
		var stopped []string
		for _, m := range rep.Remediation {
			if m.Incident.Action == remediate.ActionStopTask && m.Incident.Outcome == remediate.OutcomeDone {
				stopped = append(stopped, m.Incident.Target)
			}
		}
		if len(stopped) != 1 || !strings.HasSuffix(stopped[0], bad) {
			t.Errorf("remediator stops = %q, want the bad task %s", stopped, bad)
		}
		started := 0
		for _, e := range rep.Tasks {
			if e.Event == "started" && e.At.After(rep.FaultAt) {
				started++
			}
		}
		if started < 1 {
			t.Errorf("no task started after the fault: %+v", rep.Tasks)
		}

		// The ALARM event, redelivered while the alarm was still in ALARM
		// after the stop (the scenario's redeliver step): the remediator
		// recognised the episode and stopped nothing more.
		if len(rep.Redeliveries) != 1 {
			t.Fatalf("redeliveries = %+v, want 1", rep.Redeliveries)
		}
		rd := rep.Redeliveries[0]
		if rd.State != "ALARM" || rd.FunctionError != "" {
			t.Errorf("redelivery = %+v, want the ALARM event handled without error", rd)
		}
		// Only events say "duplicate" for a stop (a sweep waits), and the
		// episode had two: EventBridge's and the redelivered one.
		dup := 0
		for _, m := range rep.Remediation {
			in := m.Incident
			if in.Episode == rd.Episode && in.Trigger == string(remediate.TriggerEvent) && in.Action == remediate.ActionStopTask && in.Outcome == remediate.OutcomeDuplicate {
				dup++
			}
		}
		if dup != 1 {
			t.Errorf("%d duplicate record(s) for the events of episode %s, want 1 (the redelivered event): %+v", dup, rd.Episode, rep.Remediation)
		}
		if n := stoppedBy(t, env.AWSConfig(), rep); n != 1 {
			t.Errorf("ECS shows %d task(s) stopped by the remediator, want 1", n)
		}
	})

	t.Run("blip", func(t *testing.T) {
		rep := run(t, "blip")
		for _, tr := range transitions(rep, "alb-target-5xx") {
			if tr.To == "ALARM" {
				t.Errorf("a one-minute blip raised the 5xx alarm: %+v", tr)
			}
		}
		if _, ok := rep.TimeToDetect(); ok {
			t.Errorf("blip detected")
		}
	})

	t.Run("load-step", func(t *testing.T) {
		rep := run(t, "load-step")
		checkLoadStep(t, rep)
	})

	t.Run("remediation-fails", func(t *testing.T) {
		rep := run(t, "remediation-fails")
		var esc []gameday.Page
		for _, p := range rep.Pages {
			if strings.Contains(p.Subject, "escalated") {
				esc = append(esc, p)
			}
		}
		if len(esc) != 1 {
			t.Fatalf("escalation pages = %d, want exactly 1 (pages %+v)", len(esc), rep.Pages)
		}
		if !strings.Contains(esc[0].Message, "Runbook: https://") {
			t.Errorf("escalation page has no runbook link:\n%s", esc[0].Message)
		}
		// It says why: the per-task metrics show no task standing out.
		if !strings.Contains(esc[0].Message, "no task's 5xx share stands out") || !strings.Contains(esc[0].Message, "service-wide") {
			t.Errorf("escalation page does not say the errors are service-wide:\n%s", esc[0].Message)
		}
		for _, m := range rep.Remediation {
			if m.Incident.Action == remediate.ActionStopTask && m.Incident.Outcome == remediate.OutcomeDone {
				t.Errorf("the remediator stopped a task although none may be stopped: %+v", m.Incident)
			}
		}
	})
}

// badTasks is the task the bad-task fault picked.
func badTasks(t *testing.T, rep *gameday.Report) string {
	t.Helper()
	for _, f := range rep.Faults {
		if i := strings.LastIndex(f, "("); i >= 0 {
			return strings.TrimSuffix(f[i+1:], ")")
		}
	}
	t.Fatalf("the fault names no task: %q", rep.Faults)
	return ""
}

func checkLoadStep(t *testing.T, rep *gameday.Report) {
	t.Helper()
	if len(rep.Scaling) == 0 {
		t.Fatalf("no scaling activity")
	}
	highAt := rep.FaultAt.Add(5 * time.Minute) // 90% starts after 5 minutes of 40%
	var outs, ins []gameday.Scaling
	for _, s := range rep.Scaling {
		switch {
		case strings.Contains(s.Cause, "AlarmHigh"):
			outs = append(outs, s)
		case strings.Contains(s.Cause, "AlarmLow"):
			ins = append(ins, s)
		}
	}
	if len(outs) == 0 {
		t.Fatalf("no scale-out: %+v", rep.Scaling)
	}
	// The first scale-out comes with the high alarm's third breaching
	// minute, not before.
	if outs[0].At.Before(highAt.Add(3 * time.Minute)) {
		t.Errorf("first scale-out at %s, before the high alarm's 3 minutes (%s)", outs[0].At, highAt.Add(3*time.Minute))
	}
	// … and with it: the alarm invokes the policy when it changes to ALARM.
	if outs[0].At.After(highAt.Add(4 * time.Minute)) {
		t.Errorf("first scale-out at %s, more than a minute after the high alarm's 3 minutes (%s)", outs[0].At, highAt.Add(3*time.Minute))
	}
	for i := 1; i < len(outs); i++ {
		if outs[i].At.Sub(outs[i-1].At) < time.Minute {
			t.Errorf("scale-outs %s and %s less than the 60 s cooldown apart", outs[i-1].At, outs[i].At)
		}
	}
	if len(ins) == 0 {
		t.Fatalf("no scale-in after the load fell: %+v", rep.Scaling)
	}
	// The low alarm's 15 minutes below 90% of the target can only start
	// once the last scale-out brought the metric down.
	if last := outs[len(outs)-1].At; ins[0].At.Before(last.Add(15 * time.Minute)) {
		t.Errorf("first scale-in at %s, less than 15 low minutes after the last scale-out (%s)", ins[0].At, last)
	}
	for i := 1; i < len(ins); i++ {
		if ins[i].At.Sub(ins[i-1].At) < 300*time.Second {
			t.Errorf("scale-ins %s and %s less than the 300 s cooldown apart", ins[i-1].At, ins[i].At)
		}
	}
	for _, s := range rep.Scaling {
		var n int
		if _, err := fmt.Sscanf(s.Description, "Setting desired count to %d.", &n); err != nil {
			t.Errorf("activity %q: %v", s.Description, err)
			continue
		}
		if n < 3 || n > 20 {
			t.Errorf("desired count %d outside [3, 20]", n)
		}
	}
}

// stoppedBy counts the service's tasks stopped by the remediator.
func stoppedBy(t *testing.T, cfg aws.Config, rep *gameday.Report) int {
	t.Helper()
	c := ecs.NewFromConfig(cfg)
	ctx := context.Background()
	l, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(rep.Target.Cluster), ServiceName: aws.String(rep.Target.Service),
		DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil || len(l.TaskArns) == 0 {
		return 0
	}
	d, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(rep.Target.Cluster), Tasks: l.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, task := range d.Tasks {
		if strings.HasPrefix(aws.ToString(task.StoppedReason), "vigil-remediator:") {
			n++
		}
	}
	return n
}
