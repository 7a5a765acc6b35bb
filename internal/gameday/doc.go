// Package gameday runs game days against an environment applied to a
// running vigil sandbox: named scenarios inject faults through the
// sandbox's fault API (/_vigil/chaos), move its virtual clock
// (/_vigil/clock), wait for conditions, and an observer collects what
// happened — the fault, alarm transitions (DescribeAlarmHistory), pages
// received by a local HTTP endpoint subscribed to the pager topic (the SNS
// envelope), remediation actions (the remediator's incident records in
// CloudWatch Logs), ECS task stops and starts, scaling activities — into a
// timeline with the time to detect and the time to recover, in virtual
// time.
//
// A scenario may also send an alarm's state change event to the
// remediator again (Step.Redeliver), as EventBridge's at-least-once
// delivery may, to show a redelivered event stops nothing more.
//
// It owns the scenarios (scenario.go, data), finding the workload and its
// alarms in the sandbox (Discover), the pager subscriber (Pager), the run
// loop (Run) and the report (Report: Text and JSON). It does not inject
// faults itself (the sandbox's workload simulation does) nor decide
// anything about remediation (the remediator Lambda does).
//
// # Time
//
// Run stops the sandbox's clock and moves it in ticks (Options.Tick,
// default 10 s of virtual time), pausing a little real time after each
// (Options.Pause) so the real processes the sandbox runs (the remediator's
// bootstrap) and HTTP deliveries keep up. A game day of an hour of virtual
// time takes seconds; every time in the report is virtual.
//
// # Example
//
//	sc, _ := gameday.Lookup("bad-task")
//	rep, err := gameday.Run(ctx, gameday.Sandbox{URL: url, AWS: cfg}, sc, gameday.Options{})
//	fmt.Print(rep.Text())
package gameday
