package workload_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/vigil-sre/vigil/internal/sandbox/workload"
)

// A gray failure: one task answers 500 to traffic but passes its health
// checks. The load balancer's metrics count the 5xx; only the app's own
// per-task metrics say which task answered them.
func TestAppMetricsPerTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createService(t, "api", 3, true)
	e.advance(t, time.Minute) // t0+1m: running and healthy (start delay 30 s, two checks 10 s apart)
	for ip, st := range e.health(t) {
		if st != "healthy" {
			t.Fatalf("target %s is %s at t0+1m", ip, st)
		}
	}
	bad := e.chaos(t, `{"kind":"unhealthy","cluster":"main","service":"api","count":1,"health_check":"pass"}`, http.StatusCreated)
	if len(bad.Tasks) != 1 {
		t.Fatalf("fault = %+v", bad)
	}
	url := e.albURL(t)
	for range 3 { // three real requests, one to each task (round-robin)
		get(t, url+"/orders")
	}
	e.advance(t, time.Minute) // t0+2m: minute t0+1m is written
	m1 := t0.Add(time.Minute)

	tasks := e.tasks(t, "api", types.DesiredStatusRunning)
	if len(tasks) != 3 {
		t.Fatalf("running tasks = %d, want 3 (health checks pass, nothing replaces the bad one)", len(tasks))
	}
	var sumReq, sum5xx float64
	for _, task := range tasks {
		arn := aws.ToString(task.TaskArn)
		id := arn[strings.LastIndexByte(arn, '/')+1:]
		d := []string{workload.AppDimCluster, "main", workload.AppDimService, "api", workload.AppDimTask, id}
		req := e.stat(t, workload.NamespaceApp, workload.AppMetricRequests, m1, cwtypes.StatisticSum, d...)
		errs := e.stat(t, workload.NamespaceApp, workload.AppMetric5XX, m1, cwtypes.StatisticSum, d...)
		// 120 synthetic and 3 real requests, round-robin over three tasks.
		if req != 41 {
			t.Errorf("task %s: %s = %v, want 41", id, workload.AppMetricRequests, req)
		}
		want := 0.0 // a datapoint of 0, not a missing one
		if id == bad.Tasks[0] {
			want = 41
		}
		if errs != want {
			t.Errorf("task %s (bad: %v): %s = %v, want %v", id, id == bad.Tasks[0], workload.AppMetric5XX, errs, want)
		}
		sumReq += req
		sum5xx += errs
	}
	// The tasks' own counts add up to what the load balancer saw of its
	// targets; health checks are not traffic.
	if got := e.stat(t, workload.NamespaceALB, "RequestCount", m1, cwtypes.StatisticSum, "LoadBalancer", e.lbDim, "TargetGroup", e.tgDim); got != sumReq {
		t.Errorf("ALB RequestCount = %v, tasks' RequestCount = %v", got, sumReq)
	}
	if got := e.stat(t, workload.NamespaceALB, "HTTPCode_Target_5XX_Count", m1, cwtypes.StatisticSum, "LoadBalancer", e.lbDim); got != sum5xx {
		t.Errorf("ALB HTTPCode_Target_5XX_Count = %v, tasks' HTTPCode_5XX_Count = %v", got, sum5xx)
	}
	// Only the service's tasks: the load balancer's dimensions are not
	// the app's.
	if got := e.stat(t, workload.NamespaceApp, workload.AppMetricRequests, m1, cwtypes.StatisticSum, "LoadBalancer", e.lbDim); got != -1 {
		t.Errorf("app RequestCount by LoadBalancer = %v, want no such series", got)
	}
}
