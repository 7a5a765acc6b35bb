// Package workload is the sandbox's simulation of the workload it hosts,
// on its virtual clock (internal/simclock): ECS tasks that start, fail
// and are replaced, load balancers that answer real HTTP on loopback, the
// metrics they publish, a load model driving ECS CPU, and the faults of
// internal/sandbox/chaos.
//
// It owns no AWS resources: ECS (package ecs) keeps tasks and services
// and schedules them, ELBv2 (package elbv2) keeps load balancers, target
// groups and target health, CloudWatch stores the metrics. A Sim ties
// them together:
//
//   - Step (every StepInterval of virtual time, StepLead before each
//     boundary, so a minute's metrics are stored before the alarm
//     evaluator reads the minute) runs ecs.Step with the faults as hooks
//     (start failures, zone outages, container health), the target health
//     checks that are due (elbv2.RecordHealthCheck), the synthetic
//     background load, CPU and host-count samples, and at the end of each
//     minute writes the minute's AWS/ApplicationELB and AWS/ECS metrics.
//   - Every HTTP listener of an application load balancer is served on a
//     loopback port (serve.go); the load balancer's DNS name stays
//     AWS-like. Requests are routed by the listener's rules and actions to
//     a healthy target, answered by its task (or 500/latency under a
//     fault), and counted in the minute's metrics.
//   - The load model (CPU, Memory): a service's demand is its base CPU at
//     its desired count, or a load profile's CPU at its reference task
//     count; utilisation is the demand over the running tasks.
//   - Resolve implements chaos.Resolver (picks the tasks of an unhealthy
//     fault, the reference task count of a load profile) and ServeHTTP
//     serves /_vigil/workload (status with the loopback URLs; settings).
//
// The simulation's settings and the listeners' ports are kept in the
// state; a minute's counters not yet written are lost with the process.
//
// # Example
//
//	sim := workload.New(workload.Options{Env: env, Clock: clock})
//	if err := sim.Start(ctx); err != nil { … }
//	defer sim.Stop()
//	st, _ := sim.Status(ctx) // st.LoadBalancers[0].Listeners[0].URL
package workload
