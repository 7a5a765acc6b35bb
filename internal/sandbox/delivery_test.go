package sandbox_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	sandboxevents "github.com/vigil-sre/vigil/internal/sandbox/events"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// buildFunction builds the test Lambda function (lambda/testdata/fn) as
// a bootstrap zip, once per test binary.
var buildFunction = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "vigil-sandbox-fn-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	exe := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", exe, "./lambda/testdata/fn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, &exec.ExitError{Stderr: out}
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
})

// subscriber is an HTTP endpoint subscribed to a topic.
type subscriber struct {
	*httptest.Server
	mu       sync.Mutex
	got      []delivered
	autoConf bool // confirm by GETting SubscribeURL
	fail     func(n int) int
	n        int
}

type delivered struct {
	header http.Header
	body   []byte
	doc    map[string]any
}

func newSubscriber(t *testing.T, autoConfirm bool) *subscriber {
	s := &subscriber{autoConf: autoConfirm}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d := delivered{header: r.Header.Clone(), body: b}
		_ = json.Unmarshal(b, &d.doc)
		s.mu.Lock()
		s.n++
		n, fail := s.n, s.fail
		s.mu.Unlock()
		if fail != nil {
			if code := fail(n); code != 0 {
				w.WriteHeader(code)
				return
			}
		}
		if s.autoConf && d.doc["Type"] == "SubscriptionConfirmation" {
			resp, err := http.Get(d.doc["SubscribeURL"].(string))
			if err == nil {
				resp.Body.Close()
			}
		}
		s.mu.Lock()
		s.got = append(s.got, d)
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *subscriber) of(typ string) []delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivered
	for _, d := range s.got {
		if d.header.Get("x-amz-sns-message-type") == typ {
			out = append(out, d)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verifySignature checks an envelope's SignatureVersion 1 signature with
// the certificate at its SigningCertURL, as SNS's documentation says a
// subscriber should.
func verifySignature(t *testing.T, doc map[string]any) {
	t.Helper()
	resp, err := http.Get(doc["SigningCertURL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		t.Fatalf("SigningCertURL served %q", pemBytes)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	fields := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if doc["Type"] != "Notification" {
		fields = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var sts strings.Builder
	for _, f := range fields {
		if v, ok := doc[f].(string); ok {
			sts.WriteString(f + "\n" + v + "\n")
		}
	}
	sig, _ := base64.StdEncoding.DecodeString(doc["Signature"].(string))
	sum := sha1.Sum([]byte(sts.String()))
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA1, sum[:], sig); err != nil {
		t.Errorf("signature of %s does not verify: %v", doc["Type"], err)
	}
}

// TestAlarmActionsDelivered drives an alarm with PutMetricData and the
// virtual clock, and follows what its state change sets off: the SNS
// notification at HTTP subscribers (envelope, headers, signature; both
// confirmation flows; raw delivery and a filter policy), an SNS-subscribed
// Lambda function, and an EventBridge rule whose Lambda target gets an
// input transformer's output — the functions being real processes whose
// output lands in CloudWatch Logs.
func TestAlarmActionsDelivered(t *testing.T) {
	zipped, err := buildFunction()
	if err != nil {
		t.Fatalf("build the test function: %v", err)
	}
	start := time.Date(2026, 11, 25, 19, 0, 30, 0, time.UTC)
	sb := sandboxtest.StartStepped(t, start)
	ctx := context.Background()
	cfg := sb.AWSConfig()
	topics, lc, eb, cwc, logs := sns.NewFromConfig(cfg), lambda.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg), cw.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)

	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	fn, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("remediator"), Role: role.Role.Arn,
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipped}})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("pager")})
	if err != nil {
		t.Fatal(err)
	}
	pager := aws.ToString(topic.TopicArn)

	// Subscriber a confirms through SubscribeURL; b through the API, with
	// raw delivery and a filter policy.
	a, b := newSubscriber(t, true), newSubscriber(t, false)
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(a.URL)}); err != nil {
		t.Fatal(err)
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(b.URL),
		Attributes: map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"severity":["critical"]}`}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both confirmation requests", func() bool {
		return len(a.of("SubscriptionConfirmation")) == 1 && len(b.of("SubscriptionConfirmation")) == 1
	})
	conf := b.of("SubscriptionConfirmation")[0]
	verifySignature(t, conf.doc)
	if conf.header.Get("x-amz-sns-topic-arn") != pager || conf.doc["TopicArn"] != pager || conf.doc["Token"] == "" {
		t.Errorf("confirmation %v %s", conf.header, conf.body)
	}
	if _, err := topics.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String(conf.doc["Token"].(string))}); err != nil {
		t.Fatal(err)
	}
	subs, err := topics.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs.Subscriptions {
		if aws.ToString(s.SubscriptionArn) == "PendingConfirmation" {
			t.Errorf("subscription to %s still pending", aws.ToString(s.Endpoint))
		}
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"), Endpoint: fn.FunctionArn}); err != nil {
		t.Fatal(err)
	}

	// An EventBridge rule sends ALARM changes to the function, transformed;
	// another rule, without a permission on the function, cannot.
	const alarmPattern = `{"source":["aws.cloudwatch"],"detail-type":["CloudWatch Alarm State Change"],"detail":{"state":{"value":["ALARM"]},"alarmName":[{"prefix":"web-"}]}}`
	rule, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("to-remediator"), EventPattern: aws.String(alarmPattern)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("unpermitted"), EventPattern: aws.String(alarmPattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("unpermitted"), Targets: []ebtypes.Target{{Id: aws.String("fn"), Arn: fn.FunctionArn}}}); err != nil {
		t.Fatal(err)
	}
	for sid, p := range map[string][2]string{"sns": {"sns.amazonaws.com", pager}, "events": {"events.amazonaws.com", aws.ToString(rule.RuleArn)}} {
		if _, err := lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("remediator"), StatementId: aws.String(sid),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(p[0]), SourceArn: aws.String(p[1])}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("to-remediator"), Targets: []ebtypes.Target{{
		Id: aws.String("fn"), Arn: fn.FunctionArn,
		InputTransformer: &ebtypes.InputTransformer{
			InputPathsMap: map[string]string{"alarm": "$.detail.alarmName", "state": "$.detail.state.value", "res": "$.resources[0]"},
			InputTemplate: aws.String(`{"echo":{"alarm":<alarm>,"line":"<alarm> is <state>","resource":<res>,"rule":"<aws.events.rule-name>"}}`),
		}}}}); err != nil {
		t.Fatal(err)
	}

	if _, err := cwc.PutMetricAlarm(ctx, &cw.PutMetricAlarmInput{AlarmName: aws.String("web-5xx"), Namespace: aws.String("App"), MetricName: aws.String("Errors"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(10),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, AlarmActions: []string{pager}, OKActions: []string{pager}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cwc.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []cwtypes.MetricDatum{{
		MetricName: aws.String("Errors"), Value: aws.Float64(50)}}}); err != nil {
		t.Fatal(err)
	}
	if err := sb.Clock().AdvanceTo(start.Add(90 * time.Second)); err != nil {
		t.Fatal(err)
	}

	// The pager's HTTP subscriber hears the ALARM, in SNS's envelope.
	waitFor(t, "the ALARM notification", func() bool { return len(a.of("Notification")) == 1 })
	n := a.of("Notification")[0]
	verifySignature(t, n.doc)
	if n.doc["Type"] != "Notification" || n.doc["TopicArn"] != pager || n.doc["Subject"] != `ALARM: "web-5xx" in US East (N. Virginia)` ||
		n.doc["SignatureVersion"] != "1" || n.doc["MessageId"] != n.header.Get("x-amz-sns-message-id") ||
		!strings.Contains(n.doc["UnsubscribeURL"].(string), "Action=Unsubscribe") || !strings.HasPrefix(n.doc["Timestamp"].(string), "2026-11-25T19:0") {
		t.Errorf("envelope %s", n.body)
	}
	if !strings.HasPrefix(n.header.Get("x-amz-sns-subscription-arn"), pager+":") || n.header.Get("x-amz-sns-topic-arn") != pager ||
		!strings.HasPrefix(n.header.Get("Content-Type"), "text/plain") {
		t.Errorf("headers %v", n.header)
	}
	var msg struct{ AlarmName, NewStateValue, OldStateValue string }
	if err := json.Unmarshal([]byte(n.doc["Message"].(string)), &msg); err != nil || msg.AlarmName != "web-5xx" || msg.NewStateValue != "ALARM" {
		t.Errorf("message %v: %+v", err, msg)
	}

	// The function got the transformed event and the SNS record.
	events := func() []string {
		out, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/remediator"), FilterPattern: aws.String(`EVENT`)})
		if err != nil {
			return nil
		}
		var lines []string
		for _, e := range out.Events {
			lines = append(lines, aws.ToString(e.Message))
		}
		return lines
	}
	wantTransformed := `EVENT {"echo":{"alarm":"web-5xx","line":"web-5xx is ALARM","resource":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx","rule":"to-remediator"}}`
	waitFor(t, "both function invocations", func() bool {
		var transformed, fromSNS bool
		for _, l := range events() {
			transformed = transformed || l == wantTransformed
			fromSNS = fromSNS || (strings.Contains(l, `"EventSource":"aws:sns"`) && strings.Contains(l, `"Subject":"ALARM: \"web-5xx\" in US East (N. Virginia)"`))
		}
		return transformed && fromSNS
	})

	// The rule without a permission did not get through.
	st, err := state.Open(sb.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitFor(t, "the unpermitted delivery's failure", func() bool {
		ds, err := sandboxevents.Deliveries(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if strings.HasSuffix(d.RuleARN, "/unpermitted") {
				if d.Delivered || !strings.Contains(d.Error, "AccessDeniedException") {
					t.Errorf("unpermitted delivery %+v", d)
				}
				return true
			}
		}
		return false
	})

	// Filter policy and raw delivery: only the critical message reaches b,
	// as its bare body.
	for _, sev := range []string{"low", "critical"} {
		if _, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(sev + "!"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"severity": {DataType: aws.String("String"), StringValue: aws.String(sev)}}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the critical message at b", func() bool { return len(b.of("Notification")) > 0 })
	waitFor(t, "both messages at a", func() bool { return len(a.of("Notification")) == 3 })
	got := b.of("Notification")
	if len(got) != 1 || string(got[0].body) != "critical!" || got[0].header.Get("x-amz-sns-rawdelivery") != "true" {
		t.Errorf("b got %d: %q %v", len(got), got[0].body, got[0].header)
	}
	attrs := a.of("Notification")[2].doc["MessageAttributes"]
	if m, _ := attrs.(map[string]any); m == nil || m["severity"].(map[string]any)["Value"] != "critical" {
		t.Errorf("a's envelope attributes %v", attrs)
	}

	// Back to OK: the pager hears that too (and the rule does not fire).
	if _, err := cwc.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []cwtypes.MetricDatum{{
		MetricName: aws.String("Errors"), Value: aws.Float64(1)}}}); err != nil {
		t.Fatal(err)
	}
	if err := sb.Clock().Advance(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the OK notification", func() bool {
		for _, d := range a.of("Notification") {
			if d.doc["Subject"] == `OK: "web-5xx" in US East (N. Virginia)` {
				return true
			}
		}
		return false
	})
}

// TestDeliveryRetriesAndSurvivesRestart: a failing endpoint is retried on
// the virtual clock, and a delivery in flight when the sandbox stops is
// made after it starts again.
func TestDeliveryRetriesAndSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := sandboxtest.StartIn(t, dir)
	topics := sns.NewFromConfig(sb.AWSConfig())
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t"),
		// One retry a second, so that real time suffices.
		Attributes: map[string]string{"DeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":1,"maxDelayTarget":1}}}`}})
	if err != nil {
		t.Fatal(err)
	}
	hang := make(chan struct{})
	var once sync.Once
	s := newSubscriber(t, true)
	s.fail = func(n int) int {
		switch n {
		case 1: // the confirmation
			return 0
		case 2: // first delivery: a server error, retried
			return http.StatusServiceUnavailable
		case 3: // the retry hangs until the sandbox has stopped
			<-hang
			return http.StatusServiceUnavailable
		}
		return 0
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(s.URL)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the confirmation", func() bool { return len(s.of("SubscriptionConfirmation")) == 1 })
	if _, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("survive")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retry to be in flight", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.n >= 3 })
	closed := make(chan error, 1)
	go func() { closed <- sb.Close(ctx) }()
	defer once.Do(func() { close(hang) })
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	once.Do(func() { close(hang) })

	sandboxtest.StartIn(t, dir)
	waitFor(t, "the delivery after the restart", func() bool { return len(s.of("Notification")) == 1 })
	if d := s.of("Notification")[0]; d.doc["Message"] != "survive" {
		t.Errorf("delivered %s", d.body)
	}
}
