package pattern_test

import (
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/events/pattern"
)

// TestDocumentedExamples are the examples of the EventBridge user guide's
// pages on event patterns and content filtering, each against the event
// (or event fragment) the page shows.
func TestDocumentedExamples(t *testing.T) {
	t.Parallel()
	const file = `{"detail":{"FileName":"Image.PNG","FilePath":"/usr/lib/libx.so","EventBusArn":"arn:aws:events:us-east-1:123456789012:event-bus/myBus"}}`
	const nulls = `{"detail":{"eventVersion":"","responseElements":null}}`
	const instances = `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]}`
	tests := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"wildcard in an ARN", `{"detail":{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}}`, file, true},
		{"wildcard other region", `{"detail":{"EventBusArn":[{"wildcard":"arn:aws:events:eu-west-1:*:event-bus/*"}]}}`, file, false},
		{"suffix ignore case", `{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}}`, file, true},
		{"suffix is case sensitive", `{"detail":{"FileName":[{"suffix":".png"}]}}`, file, false},
		{"prefix ignore case", `{"detail":{"state":[{"prefix":{"equals-ignore-case":"RuN"}}]}}`, ec2Event, true},
		{"anything-but suffix", `{"detail":{"FileName":[{"anything-but":{"suffix":".txt"}}]}}`, file, true},
		{"anything-but wildcard excludes", `{"detail":{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}}`, file, false},
		{"anything-but equals-ignore-case list", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}}`, ec2Event, true},
		{"anything-but equals-ignore-case excludes", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["RUNNING"]}}]}}`, ec2Event, false},
		{"or of numeric ranges", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`, ec2Event, true},
		{"or across levels", `{"source":["aws.ec2"],"$or":[{"detail-type":["EC2 Instance State-change Notification"]},{"detail":{"state":["stopped"]}}]}`, ec2Event, true},
		{"or none holds", `{"source":["aws.ec2"],"$or":[{"detail-type":["nope"]},{"detail":{"state":["stopped"]}}]}`, ec2Event, false},
		{"empty string value", `{"detail":{"eventVersion":[""]}}`, nulls, true},
		{"null value", `{"detail":{"responseElements":[null]}}`, nulls, true},
		{"null is not exists false", `{"detail":{"responseElements":[{"exists":false}]}}`, nulls, false},
		{"array of resources, one matches", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`, instances, true},
		{"array of resources, none matches", `{"resources":["arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`, instances, false},
		{"cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, ec2Event, true},
		{"numeric equals", `{"detail":{"d-count":[{"numeric":["=",3]}]}}`, ec2Event, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := pattern.MustCompile(tt.pattern).MatchJSON([]byte(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("pattern %s\nevent %s\nmatch = %v, want %v", tt.pattern, tt.event, got, tt.want)
			}
		})
	}
}
