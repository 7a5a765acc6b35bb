package elbv2_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox"
)

// FuzzELBQuery sends arbitrary query-protocol bodies to ELBv2: malformed
// forms, unknown actions and junk parameters get an AWS-style 4xx, never a
// panic (which the router would answer with a 500) or a hang.
func FuzzELBQuery(f *testing.F) {
	seeds := []string{
		"Action=CreateLoadBalancer&Name=x&Subnets.member.1=subnet-1",
		"Action=DescribeLoadBalancers&PageSize=abc",
		"Action=DescribeLoadBalancers&Names.member.1=a&LoadBalancerArns.member.1=b",
		"Action=CreateTargetGroup&Name=tg&Protocol=HTTP&Port=99999999999999999999&VpcId=vpc-1",
		"Action=CreateTargetGroup&Name=tg&TargetType=lambda&HealthCheckIntervalSeconds=-1",
		"Action=CreateListener&LoadBalancerArn=arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/b&DefaultActions.member.1.Type=forward",
		"Action=CreateListener&LoadBalancerArn=arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a&DefaultActions.member.0.Type=redirect",
		"Action=ModifyLoadBalancerAttributes&LoadBalancerArn=x&Attributes.member.1.Key=idle_timeout.timeout_seconds",
		"Action=RegisterTargets&TargetGroupArn=arn:aws:elasticloadbalancing:::targetgroup/&Targets.member.1.Port=x",
		"Action=CreateRule&ListenerArn=arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/b/c&Priority=0",
		"Action=SetRulePriorities&RulePriorities.member.1.RuleArn=%ZZ",
		"Action=DescribeTags&ResourceArns.member.1=arn:aws:elasticloadbalancing:us-east-1:1:nothing/x",
		"Action=AddTags&ResourceArns.member.1=x&Tags.member.1.Key=aws:x",
		"Action=NoSuchThing",
		"%%%%&&&===",
		"",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	srv, err := sandbox.Open(sandbox.Options{DataDir: f.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=x")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("body %q: status %d: %s", body, rec.Code, rec.Body.String())
		}
		if rec.Code != http.StatusOK && !bytes.Contains(rec.Body.Bytes(), []byte("<Code>")) {
			t.Fatalf("body %q: status %d without an AWS error document: %s", body, rec.Code, rec.Body.String())
		}
	})
}
