// Package chaos is the sandbox's fault API: the faults a game day injects
// into the simulated workload (unhealthy tasks, 5xx bursts, latency, CPU
// load profiles, Availability Zone outages, failing task starts), their
// validation, their storage in the sandbox's state, the HTTP endpoint
// /_vigil/chaos (Handler) and its client (Client).
//
// A fault is added with a kind, the target its kind needs, and optionally
// a delay and a duration on the virtual clock; the sandbox fills its ID,
// start, end and, through a Resolver, what it picks (the tasks of an
// unhealthy fault, the reference task count of a load profile). It does
// not act on anything itself: the workload simulation
// (internal/sandbox/workload) reads the faults in effect at each step and
// request. Bad input is refused with the reason (HTTP 400).
//
// # Example
//
//	c := &chaos.Client{BaseURL: sandboxURL}
//	f, err := c.Add(ctx, chaos.Fault{Kind: chaos.KindUnhealthy, Cluster: "app", Service: "app",
//		Count: 1, HealthCheck: "pass", Duration: chaos.Duration(10 * time.Minute)})
//	…
//	_, err = c.Clear(ctx, f.ID)
package chaos
