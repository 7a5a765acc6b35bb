package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

var (
	fnOnce sync.Once
	fnZip  []byte
	fnErr  error
	fnDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fnDir != "" {
		_ = os.RemoveAll(fnDir)
	}
	os.Exit(code)
}

// testFunction builds testdata/fn (once per test binary) as bootstrap and
// zips it as Lambda expects.
func testFunction(t testing.TB) []byte {
	t.Helper()
	fnOnce.Do(func() {
		fnDir, fnErr = os.MkdirTemp("", "vigil-lambda-fn-")
		if fnErr != nil {
			return
		}
		exe := filepath.Join(fnDir, "bootstrap")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", exe, "./testdata/fn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fnErr = err
			fnErr = &buildError{string(out), err}
			return
		}
		b, err := os.ReadFile(exe)
		if err != nil {
			fnErr = err
			return
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write(b)
		}
		if err == nil {
			err = zw.Close()
		}
		fnZip, fnErr = buf.Bytes(), err
	})
	if fnErr != nil {
		t.Fatalf("build the test function: %v", fnErr)
	}
	return fnZip
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// receiver is an SNS HTTP subscriber that confirms by GETting SubscribeURL.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	msgs []map[string]any
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if m["Type"] == "SubscriptionConfirmation" {
			resp, err := http.Get(m["SubscribeURL"].(string))
			if err == nil {
				resp.Body.Close()
			}
		}
		rc.mu.Lock()
		rc.msgs = append(rc.msgs, m)
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) notifications() []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []map[string]any
	for _, m := range rc.msgs {
		if m["Type"] == "Notification" {
			out = append(out, m)
		}
	}
	return out
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunsCode runs a real provided.al2023 function (aws-lambda-go) in the
// sandbox: responses, environment, logs, warm reuse, errors, crashes,
// timeouts, asynchronous invocations with retries and an on-failure
// destination, calls back into the sandbox, and cleanup.
func TestRunsCode(t *testing.T) {
	zipped := testFunction(t)
	start := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	sb := sandboxtest.StartStepped(t, start)
	ctx := context.Background()
	cfg := sb.AWSConfig()
	lc, logs, topics := awslambda.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg), awssns.NewFromConfig(cfg)
	role, err := awsiam.NewFromConfig(cfg).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("fn-role"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lc.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("runner"), Role: role.Role.Arn, Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &types.FunctionCode{ZipFile: zipped}, Timeout: aws.Int32(1), MemorySize: aws.Int32(256),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "hi"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	type reply struct {
		Invocations int               `json:"invocations"`
		PID         int               `json:"pid"`
		Env         map[string]string `json:"env"`
		Echo        json.RawMessage   `json:"echo"`
		RequestID   string            `json:"request_id"`
		FunctionARN string            `json:"function_arn"`
		DeadlineIn  int64             `json:"deadline_in_ms"`
		MessageID   string            `json:"message_id"`
	}
	invoke := func(payload string, tail bool) (*awslambda.InvokeOutput, reply) {
		t.Helper()
		in := &awslambda.InvokeInput{FunctionName: aws.String("runner"), Payload: []byte(payload)}
		if tail {
			in.LogType = types.LogTypeTail
		}
		out, err := lc.Invoke(ctx, in)
		if err != nil {
			t.Fatalf("Invoke %s: %v", payload, err)
		}
		var r reply
		if out.FunctionError == nil {
			if err := json.Unmarshal(out.Payload, &r); err != nil {
				t.Fatalf("payload %s: %v", out.Payload, err)
			}
		}
		return out, r
	}
	errorDoc := func(out *awslambda.InvokeOutput) (string, string) {
		t.Helper()
		if aws.ToString(out.FunctionError) != "Unhandled" {
			t.Fatalf("FunctionError = %v, payload %s", out.FunctionError, out.Payload)
		}
		var d struct{ ErrorType, ErrorMessage string }
		if err := json.Unmarshal(out.Payload, &d); err != nil {
			t.Fatalf("error payload %s: %v", out.Payload, err)
		}
		return d.ErrorType, d.ErrorMessage
	}

	// RequestResponse: the payload, the environment, the log tail.
	out, r := invoke(`{"echo":{"a":1},"print":"hello logs"}`, true)
	if out.StatusCode != 200 || aws.ToString(out.ExecutedVersion) != "$LATEST" || string(r.Echo) != `{"a":1}` {
		t.Fatalf("invoke: status %d version %v payload %s", out.StatusCode, out.ExecutedVersion, out.Payload)
	}
	for k, want := range map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "runner", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_REGION": "us-east-1", "_HANDLER": "bootstrap",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/runner", "AWS_ENDPOINT_URL": sb.URL(), "GREETING": "hi"} {
		if r.Env[k] != want {
			t.Errorf("%s = %q, want %q", k, r.Env[k], want)
		}
	}
	if r.Env["AWS_ACCESS_KEY_ID"] == "" || !strings.HasPrefix(r.Env["AWS_LAMBDA_LOG_STREAM_NAME"], "2026/11/25/[$LATEST]") {
		t.Errorf("credentials or stream: %v", r.Env)
	}
	if r.FunctionARN != "arn:aws:lambda:us-east-1:123456789012:function:runner" || r.RequestID == "" || r.DeadlineIn <= 0 || r.DeadlineIn > 1000 {
		t.Errorf("context: arn %q request %q deadline in %d ms", r.FunctionARN, r.RequestID, r.DeadlineIn)
	}
	tailB, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	tail := string(tailB)
	for _, want := range []string{"START RequestId: " + r.RequestID + " Version: $LATEST", "hello logs", "stderr: hello logs",
		"END RequestId: " + r.RequestID, "REPORT RequestId: " + r.RequestID, "Memory Size: 256 MB", "Max Memory Used: ", "Init Duration: "} {
		if !strings.Contains(tail, want) {
			t.Errorf("log tail lacks %q:\n%s", want, tail)
		}
	}
	if i, j := strings.Index(tail, "hello logs"), strings.Index(tail, "END RequestId"); i > j {
		t.Errorf("output after END:\n%s", tail)
	}
	// The same lines are in CloudWatch Logs, on the stream the code was told.
	stream := r.Env["AWS_LAMBDA_LOG_STREAM_NAME"]
	ev, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/aws/lambda/runner"), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var logged []string
	for _, e := range ev.Events {
		logged = append(logged, aws.ToString(e.Message))
		if aws.ToInt64(e.Timestamp) != start.UnixMilli() {
			t.Errorf("log event at %d, want the virtual time %d", aws.ToInt64(e.Timestamp), start.UnixMilli())
		}
	}
	if all := strings.Join(logged, "\n"); !strings.Contains(all, "START RequestId: "+r.RequestID) || !strings.Contains(all, "stderr: hello logs") || !strings.Contains(all, "REPORT RequestId: "+r.RequestID) {
		t.Errorf("CloudWatch Logs has:\n%s", all)
	}

	// A warm process serves the next invocation; calls come back to the sandbox.
	topic, err := topics.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("from-lambda")})
	if err != nil {
		t.Fatal(err)
	}
	_, r2 := invoke(`{"publish":{"topic":"`+aws.ToString(topic.TopicArn)+`","message":"hi from the function"}}`, false)
	if r2.PID != r.PID || r2.Invocations != 2 {
		t.Errorf("warm reuse: pid %d→%d, invocations %d", r.PID, r2.PID, r2.Invocations)
	}
	if r2.MessageID == "" {
		t.Errorf("the function's SNS publish got no message id")
	}

	// A handler error.
	out, _ = invoke(`{"fail":"boom"}`, false)
	if typ, msg := errorDoc(out); msg != "boom" || typ == "" {
		t.Errorf("error = %s %q", typ, msg)
	}
	// A timeout kills the process; the next invocation starts a new one.
	out, _ = invoke(`{"sleep_ms":3000}`, true)
	if typ, msg := errorDoc(out); typ != "Sandbox.Timedout" || !strings.Contains(msg, "Task timed out after 1.00 seconds") {
		t.Errorf("timeout = %s %q", typ, msg)
	}
	if lb, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult)); !strings.Contains(string(lb), "Task timed out after 1.00 seconds") {
		t.Errorf("timeout log:\n%s", lb)
	}
	_, r3 := invoke(`{}`, false)
	if r3.PID == r.PID || r3.Invocations != 1 {
		t.Errorf("after a timeout: pid %d (was %d), invocations %d", r3.PID, r.PID, r3.Invocations)
	}
	if syscall.Kill(r.PID, 0) == nil {
		t.Errorf("the timed-out process %d still runs", r.PID)
	}
	// A crash.
	out, _ = invoke(`{"exit":3}`, false)
	if typ, msg := errorDoc(out); typ != "Runtime.ExitError" || !strings.Contains(msg, "exit status 3") {
		t.Errorf("crash = %s %q", typ, msg)
	}

	// DryRun checks without running.
	dry, err := lc.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("runner"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || dry.StatusCode != 204 {
		t.Fatalf("DryRun = %+v, %v", dry, err)
	}

	// A configuration change stops the warm processes.
	_, r4 := invoke(`{}`, false)
	_, err = lc.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("runner"),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "bye"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, r5 := invoke(`{}`, false)
	if r5.Env["GREETING"] != "bye" || r5.PID == r4.PID {
		t.Errorf("after the update: GREETING %q, pid %d (was %d)", r5.Env["GREETING"], r5.PID, r4.PID)
	}
	eventually(t, "the old process to stop", func() bool { return syscall.Kill(r4.PID, 0) != nil })

	// Event: 202 at once; failures are retried twice, one and two minutes
	// (virtual) apart, then the on-failure destination hears of it.
	pager, err := topics.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("failures")})
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t)
	if _, err := topics.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: pager.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(rc.URL)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the subscription to be confirmed", func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return len(rc.msgs) > 0
	})
	_, err = lc.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("runner"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: pager.TopicArn}}})
	if err != nil {
		t.Fatal(err)
	}
	ev2, err := lc.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("runner"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"fail":"async-boom"}`)})
	if err != nil || ev2.StatusCode != 202 {
		t.Fatalf("Event invoke = %+v, %v", ev2, err)
	}
	attempts := func() int {
		out, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/runner"), FilterPattern: aws.String(`"async-boom"`)})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range out.Events {
			if strings.HasPrefix(aws.ToString(e.Message), "EVENT ") {
				n++
			}
		}
		return n
	}
	eventually(t, "the first attempt", func() bool { return attempts() == 1 })
	eventually(t, "the on-failure destination", func() bool {
		if err := sb.Clock().Advance(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		return len(rc.notifications()) > 0
	})
	var record struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
			FunctionArn            string `json:"functionArn"`
		} `json:"requestContext"`
		RequestPayload  json.RawMessage `json:"requestPayload"`
		ResponseContext struct {
			FunctionError string `json:"functionError"`
		} `json:"responseContext"`
		ResponsePayload struct {
			ErrorMessage string `json:"errorMessage"`
		} `json:"responsePayload"`
	}
	if err := json.Unmarshal([]byte(rc.notifications()[0]["Message"].(string)), &record); err != nil {
		t.Fatal(err)
	}
	if record.RequestContext.Condition != "RetriesExhausted" || record.RequestContext.ApproximateInvokeCount != 3 ||
		record.ResponseContext.FunctionError != "Unhandled" || record.ResponsePayload.ErrorMessage != "async-boom" ||
		string(record.RequestPayload) != `{"fail":"async-boom"}` || record.RequestContext.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:runner:$LATEST" {
		t.Errorf("destination record %+v", record)
	}
	if n := attempts(); n != 3 {
		t.Errorf("%d attempts, want 3 (one and two retries)", n)
	}

	// Each attempt is in the function's AWS/Lambda metrics, which alarms
	// (the blueprint's remediator-errors alarm) evaluate.
	metrics := cloudwatch.NewFromConfig(cfg)
	for name, want := range map[string]float64{"Invocations": 11, "Errors": 6} {
		st, err := metrics.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(name),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("runner")}},
			StartTime:  aws.Time(start.Add(-time.Hour)), EndTime: aws.Time(start.Add(time.Hour)), Period: aws.Int32(7200), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Datapoints) != 1 || aws.ToFloat64(st.Datapoints[0].Sum) != want {
			t.Errorf("AWS/Lambda %s: %+v, want a sum of %v", name, st.Datapoints, want)
		}
	}

	// Other runtimes are refused, not faked.
	_, err = lc.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("py"), Role: role.Role.Arn, Runtime: types.RuntimePython312,
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: zipped}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lc.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("py")})
	wantCode[*types.InvalidRuntimeException](t, err, "InvalidRuntimeException")

	// Closing the sandbox stops every process.
	_, last := invoke(`{}`, false)
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if syscall.Kill(last.PID, 0) == nil {
		t.Errorf("process %d survived the sandbox", last.PID)
	}
}

// BenchmarkInvokeWarm measures a RequestResponse invocation of a warm
// function through the SDK: HTTP to the sandbox, the Runtime API round
// trip with the process, logs and metrics written.
func BenchmarkInvokeWarm(b *testing.B) {
	zipped := testFunction(b)
	sb := sandboxtest.Start(b)
	ctx := context.Background()
	cfg := sb.AWSConfig()
	lc := awslambda.NewFromConfig(cfg)
	role, err := awsiam.NewFromConfig(cfg).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("fn-role"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lc.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("bench"), Role: role.Role.Arn,
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipped}}); err != nil {
		b.Fatal(err)
	}
	in := &awslambda.InvokeInput{FunctionName: aws.String("bench"), Payload: []byte(`{"echo":1}`)}
	if _, err := lc.Invoke(ctx, in); err != nil { // the cold start
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		out, err := lc.Invoke(ctx, in)
		if err != nil || out.FunctionError != nil {
			b.Fatalf("%v %v", err, out)
		}
	}
}
