package remediate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func goodEnv() map[string]string {
	return map[string]string{
		"CLUSTER": "main", "SERVICE": "app",
		"TARGET_GROUP_ARN":          "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef",
		"PAGER_TOPIC_ARN":           "arn:aws:sns:us-east-1:123456789012:pager",
		"MAX_ATTEMPTS":              "3",
		"ALARM_NAME_PREFIX":         "vigil-prod-app-",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/vigil-prod-remediator",
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	c, err := ConfigFromEnv(envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Cluster: "main", Service: "app", TargetGroupARN: goodEnv()["TARGET_GROUP_ARN"], PagerTopicARN: goodEnv()["PAGER_TOPIC_ARN"],
		MaxAttempts: 3, AlarmNamePrefix: "vigil-prod-app-", EscalateAfter: 10 * time.Minute, RetryAfter: 3 * time.Minute, MaxStops: 1, MinHealthy: 2,
		LedgerLogGroup: "/aws/lambda/vigil-prod-remediator"}
	if c != want {
		t.Errorf("config = %+v\nwant %+v", c, want)
	}

	tests := []struct {
		name    string
		set     map[string]string
		unset   []string
		check   func(Config) bool
		wantErr []string // each a part of the error
		n       int      // problems reported, when more than one
	}{
		{name: "optional settings", set: map[string]string{"ESCALATE_AFTER": "15m", "RETRY_AFTER": "90s", "MAX_STOPS": "2", "MIN_HEALTHY": "0", "ESCALATION_LOG_GROUP": "/other"},
			check: func(c Config) bool {
				return c.EscalateAfter == 15*time.Minute && c.RetryAfter == 90*time.Second && c.MaxStops == 2 && c.MinHealthy == 0 && c.LedgerLogGroup == "/other"
			}},
		{name: "one missing", unset: []string{"CLUSTER"}, wantErr: []string{"CLUSTER: not set"}},
		{name: "all missing, each named", unset: []string{"CLUSTER", "SERVICE", "TARGET_GROUP_ARN", "PAGER_TOPIC_ARN", "MAX_ATTEMPTS", "ALARM_NAME_PREFIX", "AWS_LAMBDA_LOG_GROUP_NAME"},
			wantErr: []string{"CLUSTER: not set", "SERVICE: not set", "TARGET_GROUP_ARN: not set", "PAGER_TOPIC_ARN: not set", "MAX_ATTEMPTS: not set", "ALARM_NAME_PREFIX: not set", "ESCALATION_LOG_GROUP"}, n: 7},
		{name: "bad MAX_ATTEMPTS", set: map[string]string{"MAX_ATTEMPTS": "0"}, wantErr: []string{`MAX_ATTEMPTS: "0" is not a whole number from 1 to 10`}},
		{name: "MAX_ATTEMPTS not a number", set: map[string]string{"MAX_ATTEMPTS": "three"}, wantErr: []string{"MAX_ATTEMPTS"}},
		{name: "short prefix", set: map[string]string{"ALARM_NAME_PREFIX": "vi"}, wantErr: []string{"ALARM_NAME_PREFIX", "other systems"}},
		{name: "not a target group", set: map[string]string{"TARGET_GROUP_ARN": "app"}, wantErr: []string{"TARGET_GROUP_ARN", "not a target group ARN"}},
		{name: "not a topic", set: map[string]string{"PAGER_TOPIC_ARN": "arn:aws:sqs:us-east-1:1:q"}, wantErr: []string{"PAGER_TOPIC_ARN", "not an SNS topic ARN"}},
		{name: "bad duration", set: map[string]string{"ESCALATE_AFTER": "10"}, wantErr: []string{"ESCALATE_AFTER"}},
		{name: "negative duration", set: map[string]string{"RETRY_AFTER": "-1m"}, wantErr: []string{"RETRY_AFTER"}},
		{name: "bad MAX_STOPS", set: map[string]string{"MAX_STOPS": "0"}, wantErr: []string{"MAX_STOPS"}},
		{name: "app metrics namespace", set: map[string]string{"APP_METRICS_NAMESPACE": " Vigil/App "},
			check: func(c Config) bool { return c.AppMetricsNamespace == "Vigil/App" }},
		{name: "app metrics namespace of AWS's", set: map[string]string{"APP_METRICS_NAMESPACE": "AWS/ApplicationELB"}, wantErr: []string{"APP_METRICS_NAMESPACE", "not starting with AWS/"}},
		{name: "app metrics namespace with a bad character", set: map[string]string{"APP_METRICS_NAMESPACE": "app\tmetrics"}, wantErr: []string{"APP_METRICS_NAMESPACE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := goodEnv()
			for k, v := range tt.set {
				env[k] = v
			}
			for _, k := range tt.unset {
				delete(env, k)
			}
			c, err := ConfigFromEnv(envOf(env))
			if len(tt.wantErr) == 0 {
				if err != nil || (tt.check != nil && !tt.check(c)) {
					t.Errorf("ConfigFromEnv = %+v, %v", c, err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Errs) != max(tt.n, 1) {
				t.Fatalf("err = %v, want a ConfigError with %d problem(s)", err, max(tt.n, 1))
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "vigil-remediator is misconfigured") {
				t.Errorf("error %q does not say what failed", err)
			}
		})
	}
}
