package elbv2_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// clock moves the sandbox's stopped virtual clock (running the workload
// simulation's health checks on the way).
type clock struct {
	t   testing.TB
	srv *sandbox.Server
}

func (c *clock) Advance(d time.Duration) {
	if err := c.srv.AdvanceClock(context.Background(), d); err != nil {
		c.t.Fatal(err)
	}
}

// env is a sandbox with a test clock, an ELBv2 client and a VPC with two
// subnets in two zones and a security group.
type env struct {
	clock   *clock
	elb     *elb.Client
	ec2     *ec2.Client
	vpc     string
	subnets []string
	sg      string
}

func start(t *testing.T) *env {
	t.Helper()
	sc := simclock.New(simclock.WithStart(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)), simclock.WithSpeed(0))
	srv, err := sandbox.Open(sandbox.Options{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Clock: sc})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "secret", ""),
		BaseEndpoint: aws.String(srv.URL()), RetryMaxAttempts: 1}
	e := &env{clock: &clock{t: t, srv: srv}, elb: elb.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg)}
	ctx := context.Background()
	vpc := must(e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.7.0.0/16")}))(t)
	e.vpc = aws.ToString(vpc.Vpc.VpcId)
	azs := must(e.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}))(t)
	for i, cidr := range []string{"10.7.0.0/24", "10.7.1.0/24"} {
		sn := must(e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(e.vpc), CidrBlock: aws.String(cidr),
			AvailabilityZone: azs.AvailabilityZones[i].ZoneName}))(t)
		e.subnets = append(e.subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	sg := must(e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("lb"), Description: aws.String("lb"), VpcId: aws.String(e.vpc)}))(t)
	e.sg = aws.ToString(sg.GroupId)
	return e
}

func (e *env) createALB(t *testing.T, name string) types.LoadBalancer {
	t.Helper()
	out := must(e.elb.CreateLoadBalancer(context.Background(), &elb.CreateLoadBalancerInput{Name: aws.String(name),
		Subnets: e.subnets, SecurityGroups: []string{e.sg}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("sre")}}}))(t)
	return out.LoadBalancers[0]
}

func (e *env) createTG(t *testing.T, name string, mod func(*elb.CreateTargetGroupInput)) types.TargetGroup {
	t.Helper()
	in := &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: aws.String(e.vpc), TargetType: types.TargetTypeEnumIp}
	if mod != nil {
		mod(in)
	}
	return must(e.elb.CreateTargetGroup(context.Background(), in))(t).TargetGroups[0]
}

func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantCode fails unless err is an API error with the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

func attrs[T interface{ ~[]E }, E any](list T, kv func(E) (string, string)) map[string]string {
	m := map[string]string{}
	for _, a := range list {
		k, v := kv(a)
		m[k] = v
	}
	return m
}

func lbAttr(a types.LoadBalancerAttribute) (string, string) {
	return aws.ToString(a.Key), aws.ToString(a.Value)
}
func tgAttr(a types.TargetGroupAttribute) (string, string) {
	return aws.ToString(a.Key), aws.ToString(a.Value)
}

func TestLoadBalancerLifecycle(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	lb := e.createALB(t, "web")
	arn := aws.ToString(lb.LoadBalancerArn)
	if lb.State.Code != types.LoadBalancerStateEnumActive || lb.Type != types.LoadBalancerTypeEnumApplication ||
		lb.Scheme != types.LoadBalancerSchemeEnumInternetFacing || aws.ToString(lb.VpcId) != e.vpc ||
		len(lb.AvailabilityZones) != 2 || aws.ToString(lb.CanonicalHostedZoneId) != "Z35SXDOTRQ7X7K" || aws.ToString(lb.DNSName) == "" {
		t.Fatalf("created load balancer = %+v", lb)
	}

	// Identical create is idempotent; different settings are a duplicate.
	again := e.createALB(t, "web")
	if aws.ToString(again.LoadBalancerArn) != arn {
		t.Errorf("idempotent create returned %s, want %s", aws.ToString(again.LoadBalancerArn), arn)
	}
	_, err := e.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: e.subnets, Scheme: types.LoadBalancerSchemeEnumInternal})
	wantCode(t, err, "DuplicateLoadBalancerName")
	var dup *types.DuplicateLoadBalancerNameException
	if !errors.As(err, &dup) {
		t.Errorf("error %T is not a DuplicateLoadBalancerNameException", err)
	}

	byName := must(e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web"}}))(t)
	if len(byName.LoadBalancers) != 1 || aws.ToString(byName.LoadBalancers[0].LoadBalancerArn) != arn {
		t.Errorf("describe by name = %+v", byName.LoadBalancers)
	}

	a := attrs(must(e.elb.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn)}))(t).Attributes, lbAttr)
	for k, v := range map[string]string{"deletion_protection.enabled": "false", "idle_timeout.timeout_seconds": "60",
		"routing.http2.enabled": "true", "access_logs.s3.enabled": "false", "routing.http.desync_mitigation_mode": "defensive",
		"client_keep_alive.seconds": "3600", "routing.http.xff_header_processing.mode": "append", "load_balancing.cross_zone.enabled": "true"} {
		if a[k] != v {
			t.Errorf("default attribute %s = %q, want %q", k, a[k], v)
		}
	}

	_, err = e.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("no.such.key"), Value: aws.String("1")}}})
	wantCode(t, err, "ValidationError")
	_, err = e.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("0")}}})
	wantCode(t, err, "ValidationError")
	mod := must(e.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")},
			{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("120")}}}))(t)
	if m := attrs(mod.Attributes, lbAttr); m["deletion_protection.enabled"] != "true" || m["idle_timeout.timeout_seconds"] != "120" || m["routing.http2.enabled"] != "true" {
		t.Errorf("attributes after modify = %v", m)
	}
	_, err = e.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)})
	wantCode(t, err, "OperationNotPermitted")
	must(e.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}}}))(t)

	sg2 := must(e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("lb2"), Description: aws.String("lb2"), VpcId: aws.String(e.vpc)}))(t)
	sgs := must(e.elb.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(arn), SecurityGroups: []string{e.sg, aws.ToString(sg2.GroupId)}}))(t)
	if len(sgs.SecurityGroupIds) != 2 {
		t.Errorf("SetSecurityGroups = %v", sgs.SecurityGroupIds)
	}
	_, err = e.elb.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(arn), SecurityGroups: []string{"sg-0123456789abcdef0"}})
	wantCode(t, err, "InvalidSecurityGroup")
	_, err = e.elb.SetSubnets(ctx, &elb.SetSubnetsInput{LoadBalancerArn: aws.String(arn), Subnets: e.subnets[:1]})
	wantCode(t, err, "ValidationError")
	ip := must(e.elb.SetIpAddressType(ctx, &elb.SetIpAddressTypeInput{LoadBalancerArn: aws.String(arn), IpAddressType: types.IpAddressTypeDualstack}))(t)
	if ip.IpAddressType != types.IpAddressTypeDualstack {
		t.Errorf("SetIpAddressType = %v", ip.IpAddressType)
	}

	must(e.elb.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arn}, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}))(t)
	must(e.elb.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{arn}, TagKeys: []string{"team"}}))(t)
	tags := must(e.elb.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}}))(t)
	if len(tags.TagDescriptions) != 1 || len(tags.TagDescriptions[0].Tags) != 1 || aws.ToString(tags.TagDescriptions[0].Tags[0].Key) != "env" {
		t.Errorf("tags = %+v", tags.TagDescriptions)
	}

	capRes := must(e.elb.ModifyCapacityReservation(ctx, &elb.ModifyCapacityReservationInput{LoadBalancerArn: aws.String(arn),
		MinimumLoadBalancerCapacity: &types.MinimumLoadBalancerCapacity{CapacityUnits: aws.Int32(100)}}))(t)
	if capRes.MinimumLoadBalancerCapacity == nil || aws.ToInt32(capRes.MinimumLoadBalancerCapacity.CapacityUnits) != 100 {
		t.Errorf("capacity reservation = %+v", capRes)
	}
	must(e.elb.ModifyCapacityReservation(ctx, &elb.ModifyCapacityReservationInput{LoadBalancerArn: aws.String(arn), ResetCapacityReservation: aws.Bool(true)}))(t)
	if c := must(e.elb.DescribeCapacityReservation(ctx, &elb.DescribeCapacityReservationInput{LoadBalancerArn: aws.String(arn)}))(t); c.MinimumLoadBalancerCapacity != nil {
		t.Errorf("capacity after reset = %+v", c.MinimumLoadBalancerCapacity)
	}

	must(e.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}))(t)
	_, err = e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web"}})
	var nf *types.LoadBalancerNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("describe after delete: %v, want LoadBalancerNotFoundException", err)
	}
	// Deleting a deleted load balancer succeeds, as on AWS.
	must(e.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}))(t)
}

func TestCreateLoadBalancerErrors(t *testing.T) {
	e := start(t)
	tests := []struct {
		name string
		in   elb.CreateLoadBalancerInput
		code string
	}{
		{"one zone for an ALB", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: e.subnets[:1]}, "ValidationError"},
		{"unknown subnet", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: []string{e.subnets[0], "subnet-0123456789abcdef0"}}, "SubnetNotFound"},
		{"bad name", elb.CreateLoadBalancerInput{Name: aws.String("-bad-"), Subnets: e.subnets}, "ValidationError"},
		{"internal- prefix", elb.CreateLoadBalancerInput{Name: aws.String("internal-x"), Subnets: e.subnets}, "ValidationError"},
		{"unknown security group", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: e.subnets, SecurityGroups: []string{"sg-0123456789abcdef0"}}, "InvalidSecurityGroup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.elb.CreateLoadBalancer(context.Background(), &tt.in)
			wantCode(t, err, tt.code)
		})
	}
	// An NLB needs one subnet and gets no security group by default.
	nlb := must(e.elb.CreateLoadBalancer(context.Background(), &elb.CreateLoadBalancerInput{Name: aws.String("net"),
		Type: types.LoadBalancerTypeEnumNetwork, Subnets: e.subnets[:1], Scheme: types.LoadBalancerSchemeEnumInternal}))(t).LoadBalancers[0]
	if len(nlb.SecurityGroups) != 0 || aws.ToString(nlb.CanonicalHostedZoneId) != "Z26RNL4JYFTOTI" {
		t.Errorf("network load balancer = %+v", nlb)
	}
	a := attrs(must(e.elb.DescribeLoadBalancerAttributes(context.Background(), &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: nlb.LoadBalancerArn}))(t).Attributes, lbAttr)
	if a["load_balancing.cross_zone.enabled"] != "false" || a["dns_record.client_routing_policy"] != "any_availability_zone" {
		t.Errorf("NLB attributes = %v", a)
	}
	if _, ok := a["idle_timeout.timeout_seconds"]; ok {
		t.Errorf("NLB has the ALB-only attribute idle_timeout.timeout_seconds")
	}
}

func TestTargetGroupsListenersRules(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	lb := e.createALB(t, "web")
	lbARN := aws.ToString(lb.LoadBalancerArn)
	tg := e.createTG(t, "app", nil)
	tgARN := aws.ToString(tg.TargetGroupArn)
	if !aws.ToBool(tg.HealthCheckEnabled) || aws.ToInt32(tg.HealthCheckIntervalSeconds) != 30 || aws.ToInt32(tg.HealthCheckTimeoutSeconds) != 5 ||
		aws.ToInt32(tg.HealthyThresholdCount) != 5 || aws.ToInt32(tg.UnhealthyThresholdCount) != 2 || aws.ToString(tg.HealthCheckPath) != "/" ||
		aws.ToString(tg.HealthCheckPort) != "traffic-port" || tg.HealthCheckProtocol != types.ProtocolEnumHttp ||
		aws.ToString(tg.Matcher.HttpCode) != "200" || aws.ToString(tg.ProtocolVersion) != "HTTP1" || len(tg.LoadBalancerArns) != 0 {
		t.Errorf("target group defaults = %+v", tg)
	}
	a := attrs(must(e.elb.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tgARN)}))(t).Attributes, tgAttr)
	for k, v := range map[string]string{"deregistration_delay.timeout_seconds": "300", "stickiness.enabled": "false", "stickiness.type": "lb_cookie",
		"stickiness.lb_cookie.duration_seconds": "86400", "load_balancing.algorithm.type": "round_robin", "slow_start.duration_seconds": "0",
		"load_balancing.cross_zone.enabled": "use_load_balancer_configuration"} {
		if a[k] != v {
			t.Errorf("target group attribute %s = %q, want %q", k, a[k], v)
		}
	}
	must(e.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tgARN),
		Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")}}}))(t)
	_, err := e.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tgARN),
		Attributes: []types.TargetGroupAttribute{{Key: aws.String("stickiness.type"), Value: aws.String("source_ip")}}})
	wantCode(t, err, "InvalidConfigurationRequest")
	mt := must(e.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(tgARN), HealthCheckPath: aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(15), Matcher: &types.Matcher{HttpCode: aws.String("200-399")}}))(t).TargetGroups[0]
	if aws.ToString(mt.HealthCheckPath) != "/health" || aws.ToInt32(mt.HealthCheckIntervalSeconds) != 15 || aws.ToString(mt.Matcher.HttpCode) != "200-399" {
		t.Errorf("modified target group = %+v", mt)
	}
	_, err = e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("app"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(9090), VpcId: aws.String(e.vpc)})
	var dup *types.DuplicateTargetGroupNameException
	if !errors.As(err, &dup) {
		t.Errorf("duplicate target group: %v", err)
	}
	_, err = e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80),
		VpcId: aws.String(e.vpc), HealthCheckTimeoutSeconds: aws.Int32(30), HealthCheckIntervalSeconds: aws.Int32(10)})
	wantCode(t, err, "ValidationError")

	l := must(e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}}}))(t).Listeners[0]
	lARN := aws.ToString(l.ListenerArn)
	da := l.DefaultActions[0]
	if aws.ToInt32(da.Order) != 1 || da.ForwardConfig == nil || len(da.ForwardConfig.TargetGroups) != 1 || aws.ToInt32(da.ForwardConfig.TargetGroups[0].Weight) != 1 {
		t.Errorf("listener default action = %+v", da)
	}
	_, err = e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("404")}}}})
	wantCode(t, err, "DuplicateListener")
	_, err = e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttps, Port: aws.Int32(443),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}}})
	wantCode(t, err, "ValidationError")
	redirect := must(e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{Protocol: aws.String("HTTPS"), Port: aws.String("443"),
			StatusCode: types.RedirectActionStatusCodeEnumHttp301}}}}))(t).Listeners[0]
	if rc := redirect.DefaultActions[0].RedirectConfig; aws.ToString(rc.Host) != "#{host}" || aws.ToString(rc.Path) != "/#{path}" || aws.ToString(rc.Query) != "#{query}" {
		t.Errorf("redirect defaults = %+v", rc)
	}

	tgNow := must(e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tgARN}}))(t).TargetGroups[0]
	if len(tgNow.LoadBalancerArns) != 1 || tgNow.LoadBalancerArns[0] != lbARN {
		t.Errorf("target group load balancers = %v", tgNow.LoadBalancerArns)
	}
	byLB := must(e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lbARN)}))(t)
	if len(byLB.TargetGroups) != 1 {
		t.Errorf("target groups of the load balancer = %d", len(byLB.TargetGroups))
	}
	ls := must(e.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)}))(t)
	if len(ls.Listeners) != 2 {
		t.Errorf("listeners = %d, want 2", len(ls.Listeners))
	}
	la := must(e.elb.DescribeListenerAttributes(ctx, &elb.DescribeListenerAttributesInput{ListenerArn: aws.String(lARN)}))(t)
	if m := attrs(la.Attributes, func(a types.ListenerAttribute) (string, string) { return aws.ToString(a.Key), aws.ToString(a.Value) }); m["routing.http.response.server.enabled"] != "true" {
		t.Errorf("listener attributes = %v", m)
	}

	rule := must(e.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &types.PathPatternConditionConfig{Values: []string{"/api/*"}}}},
		Actions:    []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200"), ContentType: aws.String("text/plain"), MessageBody: aws.String("ok")}}}}))(t).Rules[0]
	if aws.ToString(rule.Priority) != "10" || len(rule.Conditions[0].Values) != 1 || rule.Conditions[0].PathPatternConfig == nil {
		t.Errorf("rule = %+v", rule)
	}
	_, err = e.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{{Field: aws.String("host-header"), Values: []string{"a.example.com"}}},
		Actions:    []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}}})
	var inUse *types.PriorityInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("same priority: %v, want PriorityInUseException", err)
	}
	rules := must(e.elb.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(lARN)}))(t).Rules
	if len(rules) != 2 || !aws.ToBool(rules[1].IsDefault) || aws.ToString(rules[1].Priority) != "default" {
		t.Errorf("rules = %+v", rules)
	}
	set := must(e.elb.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{{RuleArn: rule.RuleArn, Priority: aws.Int32(5)}}}))(t)
	if aws.ToString(set.Rules[0].Priority) != "5" {
		t.Errorf("SetRulePriorities = %+v", set.Rules)
	}
	mr := must(e.elb.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: rule.RuleArn, Actions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}}}))(t).Rules[0]
	if mr.Actions[0].Type != types.ActionTypeEnumForward {
		t.Errorf("modified rule = %+v", mr)
	}
	_, err = e.elb.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: rules[1].RuleArn})
	wantCode(t, err, "OperationNotPermitted")

	_, err = e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tgARN)})
	var riu *types.ResourceInUseException
	if !errors.As(err, &riu) {
		t.Errorf("delete target group in use: %v, want ResourceInUseException", err)
	}
	must(e.elb.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: rule.RuleArn}))(t)
	must(e.elb.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(lARN)}))(t)
	_, err = e.elb.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(lARN)})
	var lnf *types.ListenerNotFoundException
	if !errors.As(err, &lnf) {
		t.Errorf("delete deleted listener: %v, want ListenerNotFoundException", err)
	}
	must(e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tgARN)}))(t)
	_, err = e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"app"}})
	var tnf *types.TargetGroupNotFoundException
	if !errors.As(err, &tnf) {
		t.Errorf("describe deleted target group: %v, want TargetGroupNotFoundException", err)
	}
	// Deleting the load balancer removes its listeners.
	must(e.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lbARN)}))(t)
	_, err = e.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(redirect.ListenerArn)}})
	wantCode(t, err, "ListenerNotFound")
}

func TestTargetRegistrationAndHealth(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	tg := e.createTG(t, "app", func(in *elb.CreateTargetGroupInput) {
		in.HealthCheckIntervalSeconds, in.HealthyThresholdCount = aws.Int32(10), aws.Int32(3)
	})
	tgARN := tg.TargetGroupArn
	health := func() map[string]types.TargetHealthStateEnum {
		out := must(e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN}))(t)
		m := map[string]types.TargetHealthStateEnum{}
		for _, d := range out.TargetHealthDescriptions {
			m[aws.ToString(d.Target.Id)] = d.TargetHealth.State
		}
		return m
	}

	_, err := e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tgARN, Targets: []types.TargetDescription{{Id: aws.String("192.168.1.1")}}})
	wantCode(t, err, "InvalidTarget")
	_, err = e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tgARN, Targets: []types.TargetDescription{{Id: aws.String("not-an-ip")}}})
	wantCode(t, err, "ValidationError")
	must(e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tgARN, Targets: []types.TargetDescription{{Id: aws.String("10.7.0.10")}, {Id: aws.String("10.7.1.10")}}}))(t)
	if h := health(); h["10.7.0.10"] != types.TargetHealthStateEnumUnused || len(h) != 2 {
		t.Errorf("health without a load balancer = %v, want unused", h)
	}

	lb := e.createALB(t, "web")
	must(e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: tgARN}}}))(t)
	if h := health(); h["10.7.0.10"] != types.TargetHealthStateEnumInitial {
		t.Errorf("health just after registration = %v, want initial", h)
	}
	// Nothing answers at these addresses (they are no tasks): the health
	// checks time out, and after UnhealthyThresholdCount (2) checks 10 s
	// apart the targets are unhealthy.
	e.clock.Advance(31 * time.Second)
	out := must(e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN}))(t)
	for _, d := range out.TargetHealthDescriptions {
		if d.TargetHealth.State != types.TargetHealthStateEnumUnhealthy || d.TargetHealth.Reason != types.TargetHealthReasonEnumTimeout {
			t.Errorf("health of %s after 3 intervals = %+v, want unhealthy (Target.Timeout)", aws.ToString(d.Target.Id), d.TargetHealth)
		}
	}

	one := must(e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN, Targets: []types.TargetDescription{{Id: aws.String("10.7.0.99")}}}))(t)
	if d := one.TargetHealthDescriptions; len(d) != 1 || d[0].TargetHealth.Reason != types.TargetHealthReasonEnumNotRegistered {
		t.Errorf("unregistered target = %+v", d)
	}

	must(e.elb.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tgARN, Targets: []types.TargetDescription{{Id: aws.String("10.7.0.10")}}}))(t)
	if h := health(); h["10.7.0.10"] != types.TargetHealthStateEnumDraining {
		t.Errorf("health after deregistration = %v, want draining", h)
	}
	e.clock.Advance(301 * time.Second)
	if h := health(); len(h) != 1 || h["10.7.1.10"] != types.TargetHealthStateEnumUnhealthy {
		t.Errorf("health after the deregistration delay = %v", h)
	}
	_, err = e.elb.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tgARN, Targets: []types.TargetDescription{{Id: aws.String("10.7.0.10")}}})
	var it *types.InvalidTargetException
	if !errors.As(err, &it) {
		t.Errorf("deregistering an unregistered target: %v, want InvalidTargetException", err)
	}

	inst := e.createTG(t, "inst", func(in *elb.CreateTargetGroupInput) { in.TargetType = types.TargetTypeEnumInstance })
	_, err = e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: inst.TargetGroupArn, Targets: []types.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}}})
	wantCode(t, err, "InvalidTarget")
	_, err = e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef"),
		Targets: []types.TargetDescription{{Id: aws.String("10.7.0.10")}}})
	var tnf *types.TargetGroupNotFoundException
	if !errors.As(err, &tnf) {
		t.Errorf("register in a missing group: %v, want TargetGroupNotFoundException", err)
	}
}

func TestDescribePagination(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		e.createTG(t, "tg-"+n, nil)
	}
	var names []string
	p := elb.NewDescribeTargetGroupsPaginator(e.elb, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		pages++
		for _, tg := range out.TargetGroups {
			names = append(names, aws.ToString(tg.TargetGroupName))
		}
	}
	if pages != 3 || len(names) != 5 || names[0] != "tg-a" || names[4] != "tg-e" {
		t.Errorf("pages = %d, names = %v", pages, names)
	}
	_, err := e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(401)})
	wantCode(t, err, "ValidationError")
}

// An unknown action is an honest error, not an empty success.
func TestUnknownAction(t *testing.T) {
	e := start(t)
	_, err := e.elb.DescribeTrustStores(context.Background(), &elb.DescribeTrustStoresInput{})
	wantCode(t, err, "InvalidAction")
}
