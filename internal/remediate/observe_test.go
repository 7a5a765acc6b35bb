package remediate

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func eniTask(arn, ip string) ecstypes.Task {
	return ecstypes.Task{TaskArn: aws.String(arn), LastStatus: aws.String("RUNNING"), DesiredStatus: aws.String("RUNNING"), HealthStatus: ecstypes.HealthStatusUnknown,
		Attachments: []ecstypes.Attachment{{Type: aws.String("ElasticNetworkInterface"), Details: []ecstypes.KeyValuePair{
			{Name: aws.String("subnetId"), Value: aws.String("subnet-1")}, {Name: aws.String("privateIPv4Address"), Value: aws.String(ip)}}}}}
}

func target(ip string, port int32, state elbtypes.TargetHealthStateEnum, reason elbtypes.TargetHealthReasonEnum) elbtypes.TargetHealthDescription {
	return elbtypes.TargetHealthDescription{Target: &elbtypes.TargetDescription{Id: aws.String(ip), Port: aws.Int32(port)},
		TargetHealth: &elbtypes.TargetHealth{State: state, Reason: reason}}
}

func TestTaskIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		task ecstypes.Task
		want string
	}{
		{"ENI attachment", eniTask("a", "10.0.1.5"), "10.0.1.5"},
		{"container network interface", ecstypes.Task{Containers: []ecstypes.Container{{NetworkInterfaces: []ecstypes.NetworkInterface{{PrivateIpv4Address: aws.String("10.0.2.6")}}}}}, "10.0.2.6"},
		{"other attachment types are skipped", ecstypes.Task{Attachments: []ecstypes.Attachment{{Type: aws.String("ServiceConnect"), Details: []ecstypes.KeyValuePair{{Name: aws.String("privateIPv4Address"), Value: aws.String("1.2.3.4")}}}}}, ""},
		{"none", ecstypes.Task{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TaskIP(tt.task); got != tt.want {
				t.Errorf("TaskIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestJoinFleet(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	a, b, c, d := eniTask("a", "10.0.0.1"), eniTask("b", "10.0.0.2"), eniTask("c", "10.0.0.3"), eniTask("d", "10.0.0.4")
	a.StartedAt = &started
	c.HealthStatus = ecstypes.HealthStatusUnhealthy
	stopping := eniTask("e", "10.0.0.5")
	stopping.DesiredStatus = aws.String("STOPPED")
	targets := []elbtypes.TargetHealthDescription{
		target("10.0.0.1", 8080, elbtypes.TargetHealthStateEnumHealthy, ""),
		target("10.0.0.2", 8080, elbtypes.TargetHealthStateEnumHealthy, ""),
		target("10.0.0.2", 9090, elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumFailedHealthChecks), // worst registration wins
		target("10.0.0.3", 8080, elbtypes.TargetHealthStateEnumHealthy, ""),
		target("10.0.0.5", 8080, elbtypes.TargetHealthStateEnumDraining, elbtypes.TargetHealthReasonEnumDeregistrationInProgress),
		target("10.0.0.9", 8080, elbtypes.TargetHealthStateEnumUnhealthy, ""), // no task of the service
		{Target: &elbtypes.TargetDescription{Id: aws.String("i-0123")}, TargetHealth: &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnumUnhealthy}},
	}
	f := JoinFleet(3, []ecstypes.Task{a, b, c, d, stopping}, targets)
	if f.Desired != 3 || len(f.Tasks) != 4 {
		t.Fatalf("fleet = %+v (the stopping task is ECS's already)", f)
	}
	want := []struct {
		arn, target, state, reason, ecs string
		bad, healthy                    bool
	}{
		{"a", "10.0.0.1:8080", "healthy", "", "UNKNOWN", false, true},
		{"b", "10.0.0.2:9090", "unhealthy", "Target.FailedHealthChecks", "UNKNOWN", true, false},
		{"c", "10.0.0.3:8080", "healthy", "", "UNHEALTHY", true, false},
		{"d", "", "", "", "UNKNOWN", false, false},
	}
	for i, w := range want {
		got := f.Tasks[i]
		bad, _ := got.Bad()
		if got.ARN != w.arn || got.Target != w.target || got.TargetState != w.state || got.TargetReason != w.reason || got.ECSHealth != w.ecs || bad != w.bad || got.Healthy() != w.healthy {
			t.Errorf("task %d = %+v (bad %v), want %+v", i, got, bad, w)
		}
	}
	if !f.Tasks[0].Started.Equal(started) {
		t.Errorf("started = %v", f.Tasks[0].Started)
	}
	running, healthy, bad := f.Counts()
	if running != 4 || healthy != 1 || bad != 2 {
		t.Errorf("Counts = %d %d %d", running, healthy, bad)
	}
}

func TestStopped(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	later := at.Add(time.Minute)
	got := Stopped([]ecstypes.Task{
		{TaskArn: aws.String("a"), StoppingAt: &at, StoppedAt: &later, StoppedReason: aws.String("r")},
		{TaskArn: aws.String("b"), StoppedAt: &later},
		{TaskArn: aws.String("c")},
	})
	if len(got) != 3 || !got[0].StoppedAt.Equal(at) || got[0].Reason != "r" || !got[1].StoppedAt.Equal(later) || !got[2].StoppedAt.IsZero() {
		t.Errorf("Stopped = %+v", got)
	}
}
