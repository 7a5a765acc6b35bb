package remediate

import (
	"net"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Pure mapping of what ECS and ELBv2 answer onto Fleet and StoppedTask.

// TaskIP is the private IPv4 address of an awsvpc task: the
// privateIPv4Address detail of its ElasticNetworkInterface attachment, or
// else a container's network interface. Empty when it has none (bridge or
// host networking, or not yet attached).
func TaskIP(t ecstypes.Task) string {
	for _, a := range t.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" && aws.ToString(d.Value) != "" {
				return aws.ToString(d.Value)
			}
		}
	}
	for _, c := range t.Containers {
		for _, ni := range c.NetworkInterfaces {
			if ip := aws.ToString(ni.PrivateIpv4Address); ip != "" {
				return ip
			}
		}
	}
	return ""
}

// targetRank orders target states from worst to best, so a task
// registered more than once is judged by its worst registration.
var targetRank = map[string]int{
	TargetUnhealthy: 0, TargetUnhealthyDraining: 1, TargetDraining: 2,
	TargetInitial: 3, TargetUnavailable: 4, TargetUnused: 5, TargetHealthy: 6,
}

func rank(state string) int {
	if r, ok := targetRank[state]; ok {
		return r
	}
	return 3 // an unknown state counts as not yet known healthy
}

// JoinFleet joins the tasks ECS wants running with the target group's
// health by IP address (target type ip, as Fargate services use).
func JoinFleet(desired int, tasks []ecstypes.Task, targets []elbtypes.TargetHealthDescription) Fleet {
	type reg struct{ target, state, reason string }
	byIP := map[string]reg{}
	for _, d := range targets {
		if d.Target == nil || d.TargetHealth == nil {
			continue
		}
		ip := aws.ToString(d.Target.Id)
		if net.ParseIP(ip) == nil {
			continue // an instance, Lambda or ALB target: not a task address
		}
		r := reg{target: ip, state: string(d.TargetHealth.State), reason: string(d.TargetHealth.Reason)}
		if d.Target.Port != nil {
			r.target = net.JoinHostPort(ip, strconv.Itoa(int(aws.ToInt32(d.Target.Port))))
		}
		if old, ok := byIP[ip]; !ok || rank(r.state) < rank(old.state) {
			byIP[ip] = r
		}
	}
	f := Fleet{Desired: desired}
	for _, t := range tasks {
		if aws.ToString(t.DesiredStatus) != "RUNNING" {
			continue // being stopped already
		}
		task := Task{ARN: aws.ToString(t.TaskArn), IP: TaskIP(t), LastStatus: aws.ToString(t.LastStatus), ECSHealth: string(t.HealthStatus)}
		if t.StartedAt != nil {
			task.Started = *t.StartedAt
		}
		if r, ok := byIP[task.IP]; ok && task.IP != "" {
			task.Target, task.TargetState, task.TargetReason = r.target, r.state, r.reason
		}
		f.Tasks = append(f.Tasks, task)
	}
	return f
}

// Stopped maps described tasks to StoppedTask: when each stopped (or began
// stopping) and why.
func Stopped(tasks []ecstypes.Task) []StoppedTask {
	var out []StoppedTask
	for _, t := range tasks {
		at := time.Time{}
		switch {
		case t.StoppingAt != nil:
			at = *t.StoppingAt
		case t.StoppedAt != nil:
			at = *t.StoppedAt
		case t.ExecutionStoppedAt != nil:
			at = *t.ExecutionStoppedAt
		}
		out = append(out, StoppedTask{ARN: aws.ToString(t.TaskArn), StoppedAt: at, Reason: aws.ToString(t.StoppedReason)})
	}
	return out
}
