package workload

import "time"

// The application's own metrics, per task.
//
// A real service behind a load balancer is usually instrumented: each task
// writes CloudWatch embedded metric format (EMF) records to its log stream
// and CloudWatch turns them into metrics. The load balancer's metrics say
// how many 5xx the service answered, not which task answered them; a task
// that answers 500 to real traffic while passing the shallow health check
// (a gray failure) is only visible in these per-task metrics.
//
// The sandbox plays that app: for every request a task answers (traffic,
// not health checks; not what the load balancer answers itself, such as a
// 502 without a target), it counts, per minute, in NamespaceApp with the
// dimensions ClusterName, ServiceName and TaskId (the task ARN's last
// part):
//
//   - RequestCount: requests the task answered (Sum, Count);
//   - HTTPCode_5XX_Count: those it answered with a 5xx status (Sum, Count;
//     0 in a minute the task served without errors, as an EMF counter
//     flushed every minute reports).
//
// They are written with the minute's other metrics, timestamped at the
// start of the minute. Tasks not started by a service (RunTask) publish
// none.

// NamespaceApp is the namespace of the application metrics the sandbox's
// workload publishes per task, as an app instrumented with CloudWatch
// embedded metric format would. The remediation module's
// app_metrics_namespace defaults to it.
const NamespaceApp = "Vigil/App"

// Application metric names and their per-task dimensions.
const (
	AppMetricRequests = "RequestCount"
	AppMetric5XX      = "HTTPCode_5XX_Count"

	AppDimCluster = "ClusterName"
	AppDimService = "ServiceName"
	AppDimTask    = "TaskId"
)

// recordApp counts a request a task answered in its application metrics.
// The caller holds s.mu.
func (s *Sim) recordApp(at time.Time, out outcome) {
	t := out.Task
	if !out.Target || t == nil || t.Service == "" || out.Status == 0 {
		return
	}
	d := dims(AppDimCluster, t.Cluster, AppDimService, t.Service, AppDimTask, t.ID)
	s.m.add(at, seriesKey{region: t.Region, ns: NamespaceApp, name: AppMetricRequests, unit: "Count", dims: d}, 1, 1)
	errs := 0.0
	if out.Status >= 500 && out.Status <= 599 {
		errs = 1
	}
	s.m.add(at, seriesKey{region: t.Region, ns: NamespaceApp, name: AppMetric5XX, unit: "Count", dims: d}, errs, 1)
}
