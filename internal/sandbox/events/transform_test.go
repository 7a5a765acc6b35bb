package events

import (
	"testing"
	"time"
)

// docEvent is the EC2 event of the EventBridge guide's input transformer
// page.
const docEvent = `{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"123456789012","time":"2015-11-11T21:29:54Z","region":"us-east-1","resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],"detail":{"instance-id":"i-0123456789","state":"RUNNING","count":3,"tags":{"team":"sre"}}}`

func TestTargetInput(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	paths := map[string]string{"instance": "$.detail.instance-id", "state": "$.detail.state", "count": "$.detail.count",
		"tags": "$.detail.tags", "res": "$.resources[0]", "missing": "$.detail.nope", "quoted": "$['detail']['state']"}
	tr := func(tmpl string) *target {
		return &target{InputTransformer: &inputTransformer{InputPathsMap: paths, InputTemplate: str(tmpl)}}
	}
	ingest := time.Date(2015, 11, 11, 21, 29, 55, 0, time.UTC)
	tests := []struct {
		name string
		t    *target
		want string
	}{
		{"whole event by default", &target{}, docEvent},
		{"constant input", &target{Input: str(`{"fixed":true}`)}, `{"fixed":true}`},
		{"input path", &target{InputPath: str("$.detail.tags")}, `{"team":"sre"}`},
		{"input path to a string", &target{InputPath: str("$.detail.state")}, `"RUNNING"`},
		// The guide's examples.
		{"string template", tr(`"instance <instance> is in <state>"`), `"instance i-0123456789 is in RUNNING"`},
		{"json, unquoted placeholders", tr(`{"instance" : <instance>,"state": <state>}`), `{"instance" : "i-0123456789","state": "RUNNING"}`},
		{"json, quoted placeholders", tr(`{"instance" : "<instance>","state": "<state>"}`), `{"instance" : "i-0123456789","state": "RUNNING"}`},
		{"plain text", tr(`<instance> is in state <state>`), `i-0123456789 is in state RUNNING`},
		// Values other than strings.
		{"number unquoted", tr(`{"n":<count>}`), `{"n":3}`},
		{"number in a string", tr(`{"n":"count=<count>"}`), `{"n":"count=3"}`},
		{"object unquoted", tr(`{"tags":<tags>}`), `{"tags":{"team":"sre"}}`},
		{"object in a string is escaped", tr(`{"tags":"<tags>"}`), `{"tags":"{\"team\":\"sre\"}"}`},
		{"array index and bracket paths", tr(`{"r":<res>,"s":<quoted>}`), `{"r":"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111","s":"RUNNING"}`},
		{"missing path is null", tr(`{"m":<missing>,"q":"<missing>"}`), `{"m":null,"q":""}`},
		{"predefined variables", tr(`{"rule":"<aws.events.rule-name>","arn":<aws.events.rule-arn>,"at":"<aws.events.event.ingestion-time>"}`),
			`{"rule":"r1","arn":"arn:aws:events:us-east-1:123456789012:rule/r1","at":"2015-11-11T21:29:55Z"}`},
		{"whole event as JSON", tr(`{"e":<aws.events.event.json>}`), `{"e":` + docEvent + `}`},
		{"unknown placeholders stay", tr(`"<b>bold</b> <state>"`), `"<b>bold</b> RUNNING"`},
		{"escaped quote in a string", tr(`{"s":"say \"<state>\""}`), `{"s":"say \"RUNNING\""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := targetInput(tt.t, []byte(docEvent), "arn:aws:events:us-east-1:123456789012:rule/r1", "r1", ingest)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	// A template whose output is not JSON fails the delivery.
	if _, err := targetInput(tr(`{"a":<instance`), []byte(docEvent), "", "", ingest); err == nil {
		t.Error("a broken template succeeded")
	}
}
