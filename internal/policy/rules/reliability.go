package rules

import (
	"regexp"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/vigil-sre/vigil/internal/policy/model"
)

func reliabilityRules() []Rule {
	rel := func(id string, sev finding.Severity, title, why, fix string, reqs []string, check func(*model.View) []Result) Rule {
		return Rule{Rule: finding.Rule{ID: id, Severity: sev, Group: finding.GroupReliability, Title: title, Why: why, Fix: fix, Requirements: reqs}, Check: check}
	}
	return []Rule{
		rel("VGL-R001", finding.SeverityHigh, "Fewer than three availability zones",
			"A design in one or two AZs cannot keep its capacity through a zone event: with three, losing one leaves two thirds (M1).",
			"Spread subnets over three AZs and give services, load balancers and auto scaling groups a subnet in each.",
			[]string{"M1", "B4"}, checkAZs),
		rel("VGL-R010", finding.SeverityHigh, "Scale-in cooldown shorter than scale-out cooldown",
			"Removing capacity faster than adding it strips tasks during a short dip, right before the next spike (M2: scale-out 60 s, scale-in 300 s).",
			"Make scale_in_cooldown at least scale_out_cooldown (for example 300 and 60).",
			[]string{"M2", "B4"}, checkCooldowns),
		rel("VGL-R020", finding.SeverityMedium, "Paging alarm without ok_actions",
			"Without an OK notification the person paged never learns the problem cleared, and incidents stay open by hand (M3).",
			"Send ok_actions to the same topic as alarm_actions.",
			[]string{"M3", "B4"}, checkOKActions),
		rel("VGL-R021", finding.SeverityMedium, "Paging alarm fires on a single datapoint",
			"1-of-1 evaluation pages on every one-minute blip; alert fatigue makes people ignore the pages that matter (M19).",
			"Use M-of-N: evaluation_periods = 3 with datapoints_to_alarm = 2.",
			[]string{"M19", "B4"}, checkOneOfOne),
		rel("VGL-R022", finding.SeverityMedium, "Paging alarm without a runbook link",
			"The person paged at 3 a.m. needs the runbook in the page, not a search (M15).",
			"Put the runbook URL in alarm_description, e.g. \"… Runbook: https://…/runbooks/alb-target-5xx.md\".",
			[]string{"M15", "B4"}, checkRunbook),
		rel("VGL-R023", finding.SeverityLow, "Paging alarm treats missing data as breaching",
			"A metric that stops reporting (a deploy, a quiet hour) pages as if the service were failing (M19).",
			"Set treat_missing_data = \"notBreaching\" (or \"missing\"), and alarm on absence separately if it matters.",
			[]string{"M19"}, checkMissingData),
		rel("VGL-R030", finding.SeverityHigh, "State backend without locking",
			"Two pipelines applying at once corrupt the state; locking makes the second one wait (M8, M13).",
			"Set use_lockfile = true (Terraform ≥ 1.10) or dynamodb_table in the backend \"s3\" block.",
			[]string{"M8", "M13", "B4"}, checkBackendLocking),
		rel("VGL-R040", finding.SeverityHigh, "Database without automated backups",
			"Without backups or point-in-time recovery, a bad migration or a deleted row is permanent.",
			"Set backup_retention_period ≥ 7 on RDS; add point_in_time_recovery { enabled = true } on DynamoDB tables.",
			nil, checkBackups),
		rel("VGL-R041", finding.SeverityMedium, "Database not multi-AZ",
			"A single-AZ database is down for the whole zone event and for every maintenance failover.",
			"Set multi_az = true on RDS instances; give Aurora clusters at least two instances.",
			[]string{"M1"}, checkMultiAZ),
		rel("VGL-R042", finding.SeverityMedium, "Database without deletion protection",
			"One wrong plan (a rename, a count change) destroys the database and its automated backups with it.",
			"Set deletion_protection = true.",
			nil, checkDeletionProtection),
		rel("VGL-R050", finding.SeverityMedium, "ECS service without a deployment circuit breaker",
			"A bad image keeps replacing healthy tasks until someone notices; the circuit breaker stops and rolls back the deployment.",
			"Add deployment_circuit_breaker { enable = true, rollback = true }.",
			[]string{"M2"}, checkCircuitBreaker),
		rel("VGL-R060", finding.SeverityMedium, "Target group without a real health check",
			"Without a health check of its own, the load balancer keeps sending traffic to tasks that are up but broken, and remediation never sees them (M2, M4).",
			"Add health_check { enabled = true, path = \"/healthz\", matcher = \"200\", … } that exercises the service.",
			[]string{"M2"}, checkHealthCheck),
		rel("VGL-R070", finding.SeverityMedium, "Production without the console-write guardrail",
			"A change made by hand in the production console is drift the next plan reverts or, worse, keeps; drift detection finds it afterwards, a guardrail keeps it from happening. Both together beat either alone (M18).",
			"Enable the foundation's guardrail (console_write_guardrail = true, modules/guardrails): a permissions boundary or SCP that denies write actions unless aws:ViaAWSService is true or aws:PrincipalArn is the pipeline's role.",
			[]string{"M18"}, checkGuardrail),
	}
}

func checkAZs(v *model.View) []Result {
	var out []Result
	// Subnets, per module instance.
	byModule := map[*model.Module][]*model.Resource{}
	var order []*model.Module
	for _, r := range v.OfType("aws_subnet") {
		if _, ok := byModule[r.Module]; !ok {
			order = append(order, r.Module)
		}
		byModule[r.Module] = append(byModule[r.Module], r)
	}
	for _, m := range order {
		subnets := byModule[m]
		azs := map[string]bool{}
		known := true
		for _, s := range subnets {
			a := s.Attr("availability_zone")
			if a.Absent() {
				a = s.Attr("availability_zone_id")
			}
			az, ok := a.Str()
			if !ok {
				known = false
				break
			}
			azs[az] = true
		}
		if !known || len(azs) >= 3 {
			continue
		}
		list := make([]string, 0, len(azs))
		for az := range azs {
			list = append(list, az)
		}
		sort.Strings(list)
		first := subnets[0]
		out = append(out, at(first, attrOrBlock(first.Block, "availability_zone"), "subnets of this module span %d availability zone(s): %s", len(azs), strings.Join(list, ", ")))
	}
	few := func(r *model.Resource, a *model.Attribute, what string) {
		if n, ok := a.Len(); ok && n > 0 && n < 3 {
			out = append(out, at(r, a.Range, "%s lists %d subnet(s) or zone(s); use one in each of three AZs", what, n))
		}
	}
	for _, r := range v.OfType("aws_autoscaling_group") {
		few(r, r.Attr("availability_zones"), "availability_zones")
		few(r, r.Attr("vpc_zone_identifier"), "vpc_zone_identifier")
	}
	for _, r := range v.OfType("aws_ecs_service") {
		if nc := r.Block.Block("network_configuration"); nc != nil {
			few(r, nc.Attr("subnets"), "network_configuration.subnets")
		}
	}
	for _, r := range v.OfType("aws_lb", "aws_alb") {
		few(r, r.Attr("subnets"), "subnets")
		if sm := r.Blocks("subnet_mapping"); len(sm) > 0 && len(sm) < 3 && !r.FromPlan {
			out = append(out, at(r, sm[0].DefRange, "%d subnet_mapping block(s); use one in each of three AZs", len(sm)))
		}
	}
	for _, r := range v.OfType("aws_eks_node_group") {
		few(r, r.Attr("subnet_ids"), "subnet_ids")
	}
	return out
}

func checkCooldowns(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_appautoscaling_policy") {
		tt := r.Block.Block("target_tracking_scaling_policy_configuration")
		if tt == nil {
			continue
		}
		in, inOK := tt.Attr("scale_in_cooldown").Number()
		outCD, outOK := tt.Attr("scale_out_cooldown").Number()
		// ECS applies 300 s to a cooldown that is not set.
		if ns, ok := r.Attr("service_namespace").Str(); ok && ns == "ecs" {
			if tt.Attr("scale_in_cooldown").Absent() {
				in, inOK = 300, true
			}
			if tt.Attr("scale_out_cooldown").Absent() {
				outCD, outOK = 300, true
			}
		}
		if !inOK || !outOK || in >= outCD {
			continue
		}
		out = append(out, at(r, attrOrBlock(tt, "scale_in_cooldown"), "scale_in_cooldown %ss is shorter than scale_out_cooldown %ss", num(in), num(outCD)))
	}
	return out
}

// pagingAlarms are alarms whose state changes notify someone.
func pagingAlarms(v *model.View) []*model.Resource {
	var out []*model.Resource
	for _, r := range v.OfType("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm") {
		if r.Attr("actions_enabled").False() {
			continue
		}
		aa := r.Attr("alarm_actions")
		if aa.Absent() {
			continue
		}
		if n, ok := aa.Len(); ok && n == 0 {
			continue
		}
		out = append(out, r)
	}
	return out
}

func checkOKActions(v *model.View) []Result {
	var out []Result
	for _, r := range pagingAlarms(v) {
		ok := r.Attr("ok_actions")
		if ok.Unknown() {
			continue
		}
		if n, known := ok.Len(); ok.Absent() || (known && n == 0) {
			out = append(out, at(r, attrOrBlock(r.Block, "ok_actions"), "alarm_actions are set but ok_actions are not"))
		}
	}
	return out
}

func checkOneOfOne(v *model.View) []Result {
	var out []Result
	for _, r := range pagingAlarms(v) {
		if r.Type != "aws_cloudwatch_metric_alarm" {
			continue
		}
		ep := r.Attr("evaluation_periods")
		n, ok := ep.Number()
		if !ok || n != 1 {
			continue
		}
		dta := r.Attr("datapoints_to_alarm")
		if d, ok := dta.Number(); dta.Absent() || (ok && d == 1) {
			out = append(out, at(r, ep.Range, "evaluation_periods = 1: a single datapoint pages"))
		}
	}
	return out
}

var (
	runbookLink = regexp.MustCompile(`(?i)https?://|runbook`)
	// runbookHint accepts a template whose unknown parts look like a link.
	runbookHint = regexp.MustCompile(`(?i)runbook|https?://|url|link`)
)

func checkRunbook(v *model.View) []Result {
	var out []Result
	for _, r := range pagingAlarms(v) {
		d := r.Attr("alarm_description")
		if d.Absent() {
			out = append(out, at(r, r.DefRange, "no alarm_description, so no runbook link in the page"))
			continue
		}
		if s, ok := d.Str(); ok {
			if !runbookLink.MatchString(s) {
				out = append(out, at(r, d.Range, "alarm_description has no runbook link"))
			}
			continue
		}
		// Unknown (a template with references): accept any hint of a link.
		if src := d.Source(); src != "" && !runbookHint.MatchString(src) {
			out = append(out, at(r, d.Range, "alarm_description has no runbook link"))
		}
	}
	return out
}

func checkMissingData(v *model.View) []Result {
	var out []Result
	for _, r := range pagingAlarms(v) {
		if t, ok := r.Attr("treat_missing_data").Str(); ok && t == "breaching" {
			out = append(out, at(r, r.Attr("treat_missing_data").Range, "treat_missing_data = \"breaching\""))
		}
	}
	return out
}

func checkBackendLocking(v *model.View) []Result {
	var out []Result
	for _, b := range s3Backends(v) {
		if a := b.Attr("use_lockfile"); a.True() || a.Unknown() {
			continue
		}
		if b.Attr("dynamodb_table").Present() {
			continue
		}
		rng := b.DefRange
		if a := b.Attr("use_lockfile"); a != nil {
			rng = a.Range
		}
		out = append(out, Result{Range: rng, Message: "backend \"s3\": neither use_lockfile = true nor dynamodb_table is set"})
	}
	return out
}

func checkBackups(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_db_instance") {
		if r.Attr("replicate_source_db").Present() {
			continue
		}
		if n, ok := r.Attr("backup_retention_period").Number(); ok && n == 0 {
			out = append(out, at(r, r.Attr("backup_retention_period").Range, "backup_retention_period = 0 turns automated backups off"))
		}
	}
	for _, r := range v.OfType("aws_dynamodb_table") {
		pitr := r.Block.Block("point_in_time_recovery")
		if pitr == nil {
			res := at(r, r.DefRange, "no point_in_time_recovery")
			res.Severity = finding.SeverityMedium
			out = append(out, res)
			continue
		}
		if a := pitr.Attr("enabled"); !(a.True() || a.Unknown()) {
			res := at(r, attrOrBlock(pitr, "enabled"), "point_in_time_recovery is not enabled")
			res.Severity = finding.SeverityMedium
			out = append(out, res)
		}
	}
	return out
}

func checkMultiAZ(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_db_instance") {
		if r.Attr("replicate_source_db").Present() {
			continue
		}
		a := r.Attr("multi_az")
		if a.True() || a.Unknown() {
			continue
		}
		out = append(out, at(r, attrOrBlock(r.Block, "multi_az"), "multi_az is not true"))
	}
	instances := v.OfType("aws_rds_cluster_instance")
	for _, c := range v.OfType("aws_rds_cluster") {
		if eng, ok := c.Attr("engine").Str(); !ok || !strings.HasPrefix(eng, "aurora") {
			continue
		}
		if mode, ok := c.Attr("engine_mode").Str(); ok && mode == "serverless" {
			continue
		}
		n, opaque := 0, false
		for _, in := range instances {
			ci := in.Attr("cluster_identifier")
			if model.Refers(ci, c) {
				n++
			} else if model.Opaque(ci) {
				opaque = true
			}
		}
		if n == 1 && !opaque {
			out = append(out, at(c, c.DefRange, "Aurora cluster has a single instance: no failover target in another AZ"))
		}
	}
	return out
}

func checkDeletionProtection(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_db_instance", "aws_rds_cluster") {
		a := r.Attr("deletion_protection")
		if a.True() || a.Unknown() {
			continue
		}
		out = append(out, at(r, attrOrBlock(r.Block, "deletion_protection"), "deletion_protection is not true"))
	}
	return out
}

func checkCircuitBreaker(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_ecs_service") {
		if dc := r.Block.Block("deployment_controller"); dc != nil {
			if t, ok := dc.Attr("type").Str(); ok && t != "ECS" {
				continue // CodeDeploy or external deployments roll back elsewhere
			}
		}
		cb := r.Block.Block("deployment_circuit_breaker")
		if cb == nil {
			out = append(out, at(r, r.DefRange, "no deployment_circuit_breaker"))
			continue
		}
		if a := cb.Attr("enable"); !(a.True() || a.Unknown()) {
			out = append(out, at(r, attrOrBlock(cb, "enable"), "deployment_circuit_breaker is not enabled"))
			continue
		}
		if a := cb.Attr("rollback"); !(a.True() || a.Unknown()) {
			out = append(out, at(r, attrOrBlock(cb, "rollback"), "deployment_circuit_breaker does not roll back"))
		}
	}
	return out
}

func checkHealthCheck(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_lb_target_group", "aws_alb_target_group") {
		if t, ok := r.Attr("target_type").Str(); ok && t == "lambda" {
			continue
		}
		hc := r.Block.Block("health_check")
		if hc == nil {
			if r.FromPlan {
				continue // the plan always shows the provider's default block
			}
			out = append(out, at(r, r.DefRange, "no health_check block: the default probes / and accepts only 200"))
			continue
		}
		if a := hc.Attr("enabled"); a.False() {
			res := at(r, a.Range, "health_check is disabled")
			res.Severity = finding.SeverityHigh
			out = append(out, res)
		}
	}
	return out
}
