package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

var clockStart = time.Date(2026, 11, 25, 18, 55, 30, 0, time.UTC)

func TestClockControlOverHTTP(t *testing.T) {
	sb := sandboxtest.StartStepped(t, clockStart)
	ctx := context.Background()
	st, err := sandbox.ClockControl(ctx, nil, sb.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Now.Equal(clockStart) || st.Speed != 0 {
		t.Fatalf("GET: %+v", st)
	}

	// The services read the virtual clock.
	c := cw.NewFromConfig(sb.AWSConfig())
	if _, err := c.PutMetricAlarm(ctx, &cw.PutMetricAlarmInput{AlarmName: aws.String("quiet"), Namespace: aws.String("App"),
		MetricName: aws.String("Errors"), Statistic: types.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String("notBreaching")}); err != nil {
		t.Fatal(err)
	}
	describe := func() types.MetricAlarm {
		out, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"quiet"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.MetricAlarms[0]
	}
	if a := describe(); !aws.ToTime(a.AlarmConfigurationUpdatedTimestamp).Equal(clockStart) {
		t.Fatalf("alarm created at %v, want the virtual time %v", a.AlarmConfigurationUpdatedTimestamp, clockStart)
	}

	// Advancing over HTTP runs the alarm evaluations on the way.
	st, err = sandbox.ClockControl(ctx, nil, sb.URL(), &sandbox.ClockRequest{Advance: "5m"})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Now.Equal(clockStart.Add(5 * time.Minute)) {
		t.Fatalf("after advance: %+v", st)
	}
	if a := describe(); a.StateValue != types.StateValueOk {
		t.Fatalf("after advancing 5m the alarm is %s, want OK", a.StateValue)
	}
	speed := 60.0
	st, err = sandbox.ClockControl(ctx, nil, sb.URL(), &sandbox.ClockRequest{Speed: &speed})
	if err != nil {
		t.Fatal(err)
	}
	if st.Speed != 60 || st.Now.Before(clockStart.Add(5*time.Minute)) {
		t.Fatalf("after set-speed: %+v", st)
	}

	tests := []struct {
		name, method, body string
		status             int
		want               string
	}{
		{"negative advance", http.MethodPost, `{"advance":"-5m"}`, 400, "not a positive duration"},
		{"not a duration", http.MethodPost, `{"advance":"soon"}`, 400, "not a positive duration"},
		{"too far", http.MethodPost, `{"advance":"2000h"}`, 400, "at most"},
		{"nothing to do", http.MethodPost, `{}`, 400, "nothing to do"},
		{"bad speed", http.MethodPost, `{"speed":-1}`, 400, "speed must be between"},
		{"unknown field", http.MethodPost, `{"rewind":"5m"}`, 400, "unknown field"},
		{"not JSON", http.MethodPost, `advance 5m`, 400, "cannot read the request"},
		{"wrong method", http.MethodPut, `{}`, 405, "use GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, sb.URL()+"/_vigil/clock", strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || !strings.Contains(e.Error, tt.want) {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, e.Error, tt.status, tt.want)
			}
		})
	}
	if _, err := sandbox.ClockControl(ctx, nil, sb.URL(), &sandbox.ClockRequest{Advance: "-1s"}); err == nil || !strings.Contains(err.Error(), "positive duration") {
		t.Fatalf("client error = %v", err)
	}
}

// fakeReal is a settable real-time source.
type fakeReal struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeReal) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeReal) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// TestClockSurvivesRestart: a restarted sandbox resumes its virtual time.
func TestClockSurvivesRestart(t *testing.T) {
	tests := []struct {
		name    string
		speed   float64
		advance time.Duration
		down    time.Duration // real time between the two servers
		want    func(real time.Time) time.Time
	}{
		{"real time stays real time", 1, 0, time.Hour, func(r time.Time) time.Time { return r }},
		{"an advanced clock keeps its offset", 1, 3 * time.Hour, time.Hour, func(r time.Time) time.Time { return r.Add(3 * time.Hour) }},
		{"a stopped clock resumes where it was", 0, 90 * time.Minute, time.Hour, func(time.Time) time.Time { return clockStart.Add(90 * time.Minute) }},
		{"a fast clock resumes where it stopped", 60, 0, time.Hour, func(time.Time) time.Time { return clockStart }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			real := &fakeReal{t: clockStart}
			srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0", Now: real.now})
			if err != nil {
				t.Fatal(err)
			}
			if !srv.Clock().Now().Equal(clockStart) {
				t.Fatalf("a new sandbox tells real time: %v", srv.Clock().Now())
			}
			if err := srv.SetClockSpeed(ctx, tt.speed); err != nil {
				t.Fatal(err)
			}
			if err := srv.AdvanceClock(ctx, tt.advance); err != nil {
				t.Fatal(err)
			}
			if err := srv.Close(ctx); err != nil {
				t.Fatal(err)
			}
			real.add(tt.down)
			srv, err = sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0", Now: real.now})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close(ctx)
			if got, want := srv.Clock().Now(), tt.want(real.now()); !got.Equal(want) {
				t.Fatalf("after restart: %v, want %v", got, want)
			}
			if srv.Clock().Speed() != tt.speed {
				t.Fatalf("speed after restart: %v, want %v", srv.Clock().Speed(), tt.speed)
			}
		})
	}
}

func TestClockControlClientErrors(t *testing.T) {
	// Nothing listens: the error says what to do.
	_, err := sandbox.ClockControl(context.Background(), nil, "http://127.0.0.1:1", nil)
	if err == nil || !strings.Contains(err.Error(), "vigil sandbox serve") {
		t.Fatalf("err = %v", err)
	}
}
