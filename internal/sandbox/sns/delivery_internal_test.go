package sns

import (
	"testing"
	"time"
)

func TestPassesFilter(t *testing.T) {
	t.Parallel()
	attrs := map[string]MessageAttribute{
		"severity": {DataType: "String", StringValue: "critical"},
		"price":    {DataType: "Number", StringValue: "120.5"},
		"teams":    {DataType: "String.Array", StringValue: `["sre","web"]`},
		"blob":     {DataType: "Binary", BinaryValue: []byte{1}},
	}
	body := `{"order":{"status":"paid","total":42},"region":"eu-west-1"}`
	tests := []struct {
		name, policy, scope string
		want                bool
	}{
		{"no policy", "", "", true},
		{"exact", `{"severity":["critical","high"]}`, "", true},
		{"exact miss", `{"severity":["low"]}`, "", false},
		{"absent attribute", `{"region":["eu-west-1"]}`, "", false},
		{"numeric range", `{"price":[{"numeric":[">",100,"<=",200]}]}`, "", true},
		{"numeric miss", `{"price":[{"numeric":["<",100]}]}`, "", false},
		{"array attribute", `{"teams":["web"]}`, "", true},
		{"prefix", `{"severity":[{"prefix":"crit"}]}`, "", true},
		{"anything-but", `{"severity":[{"anything-but":["low","medium"]}]}`, "", true},
		{"exists false", `{"region":[{"exists":false}]}`, "", true},
		{"binary never matches", `{"blob":[{"exists":true}]}`, "", false},
		{"and of attributes", `{"severity":["critical"],"price":[{"numeric":[">",500]}]}`, "", false},
		{"or", `{"$or":[{"severity":["low"]},{"teams":["sre"]}]}`, "", true},
		{"body nested", `{"order":{"status":["paid"]}}`, "MessageBody", true},
		{"body numeric", `{"order":{"total":[{"numeric":[">=",50]}]}}`, "MessageBody", false},
		{"body ignores attributes", `{"severity":["critical"]}`, "MessageBody", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sub := subscriptionDoc{Protocol: "http", Attributes: map[string]string{"FilterPolicy": tt.policy}}
			if tt.scope != "" {
				sub.Attributes["FilterPolicyScope"] = tt.scope
			}
			got, err := passesFilter(sub, Message{Message: body, MessageAttributes: attrs})
			if err != nil || got != tt.want {
				t.Errorf("passesFilter(%s) = %v, %v; want %v", tt.policy, got, err, tt.want)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	def := retryPolicy{NumRetries: 3, MinDelayTarget: 20, MaxDelayTarget: 20, BackoffFunction: "linear"}
	for n := 1; n <= 3; n++ {
		if d, ok := retryDelay(def, n); !ok || d != 20*time.Second {
			t.Errorf("default retry %d = %v, %v", n, d, ok)
		}
	}
	if _, ok := retryDelay(def, 4); ok {
		t.Error("a fourth retry under the default policy")
	}
	p := retryPolicy{NumRetries: 7, NumNoDelayRetries: 1, NumMinDelayRetries: 1, NumMaxDelayRetries: 1, MinDelayTarget: 10, MaxDelayTarget: 40, BackoffFunction: "linear"}
	want := []time.Duration{0, 10, 10, 20, 30, 40, 40}
	for i, w := range want {
		if d, ok := retryDelay(p, i+1); !ok || d != w*time.Second {
			t.Errorf("retry %d = %v, %v; want %v", i+1, d, ok, w*time.Second)
		}
	}
	var q retryPolicy = def
	q.apply(`{"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":1,"maxDelayTarget":1}}}`)
	if q.NumRetries != 5 || q.MinDelayTarget != 1 {
		t.Errorf("topic delivery policy not applied: %+v", q)
	}
}

func TestReservedHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{"example.com": true, "hooks.example.org": true, "x.invalid": true, "svc.test": true,
		"127.0.0.1": false, "localhost": false, "events.pagerduty.com": false} {
		if reservedHost(host) != want {
			t.Errorf("reservedHost(%s) = %v", host, !want)
		}
	}
}
