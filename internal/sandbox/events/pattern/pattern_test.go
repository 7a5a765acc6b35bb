package pattern_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/events/pattern"
)

// ec2Event is the sample event of the EventBridge documentation and of
// event-ruler's README.
const ec2Event = `{
  "version": "0",
  "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "012345679012",
  "time": "2017-10-02T16:24:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    "state": "running"
  }
}`

// alarmEvent is a CloudWatch alarm state change, what the blueprint's
// remediation rule listens for.
const alarmEvent = `{
  "version": "0",
  "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
  "detail-type": "CloudWatch Alarm State Change",
  "source": "aws.cloudwatch",
  "account": "123456789012",
  "time": "2024-02-01T10:00:00Z",
  "region": "us-east-1",
  "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:vigil-dev-api-5xx"],
  "detail": {
    "alarmName": "vigil-dev-api-5xx",
    "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": "2024-02-01T10:00:00.000+0000"},
    "previousState": {"value": "OK"},
    "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/ApplicationELB"}}}]}
  }
}`

const blueprintPattern = `{"source":["aws.cloudwatch"],"detail-type":["CloudWatch Alarm State Change"],"detail":{"state":{"value":["ALARM"]},"alarmName":[{"prefix":"vigil-dev-"}]}}`

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		event   string
		want    bool
	}{
		// Documentation examples against the sample event.
		{"doc simple", `{"detail-type":["EC2 Instance State-change Notification"],"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],"detail":{"state":["initializing","running"]}}`, ec2Event, true},
		{"doc prefix", `{"time":[{"prefix":"2017-10-02"}]}`, ec2Event, true},
		{"doc suffix", `{"source":[{"suffix":"ec2"}]}`, ec2Event, true},
		{"doc equals-ignore-case", `{"source":[{"equals-ignore-case":"AWS.EC2"}]}`, ec2Event, true},
		{"doc wildcard", `{"detail":{"instance-id":[{"wildcard":"i-*aaa*00000"}]}}`, ec2Event, true},
		{"doc anything-but string", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, ec2Event, true},
		{"doc anything-but number", `{"detail":{"x-limit":[{"anything-but":123}]}}`, ec2Event, true},
		{"doc anything-but string list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, ec2Event, true},
		{"doc anything-but number list", `{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, ec2Event, true},
		{"doc anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, ec2Event, true},
		{"doc numeric", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, ec2Event, true},
		{"doc cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, ec2Event, true},
		{"doc exists true", `{"detail":{"c-count":[{"exists":true}]}}`, ec2Event, true},
		{"doc exists false", `{"detail":{"c-count":[{"exists":false}]}}`, ec2Event, false},
		{"doc complex", `{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}],"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, ec2Event, true},
		{"doc exists false on intermediate node", `{"detail":{"c-count":[{"exists":false}]}}`, `{"detail":{"state":["initializing","running"],"c-count":{"c1":100}}}`, true},
		{"doc exists false on missing field", `{"detail":{"c-count":[{"exists":false}]}}`, `{"detail-type":["x"],"detail":{"state":["initializing","running"]}}`, true},

		// Exact values.
		{"exact is case sensitive", `{"source":["AWS.EC2"]}`, ec2Event, false},
		{"values OR", `{"source":["aws.s3","aws.ec2"]}`, ec2Event, true},
		{"fields AND", `{"source":["aws.ec2"],"region":["eu-west-1"]}`, ec2Event, false},
		{"absent field fails", `{"nope":["x"]}`, ec2Event, false},
		{"null is not empty string", `{"a":[""]}`, `{"a":null}`, false},
		{"null matches null", `{"a":[null]}`, `{"a":null}`, true},
		{"empty string matches empty string", `{"a":[""]}`, `{"a":""}`, true},
		{"number literal matches same value", `{"a":[300]}`, `{"a":300.0}`, true},
		{"number literal does not match string", `{"a":[5]}`, `{"a":"5"}`, false},
		{"string does not match number", `{"a":["5"]}`, `{"a":5}`, false},
		{"boolean literal", `{"a":[true]}`, `{"a":true}`, true},
		{"boolean does not match string", `{"a":[true]}`, `{"a":"true"}`, false},

		// Arrays.
		{"event array intersects", `{"resources":["x","arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"]}`, ec2Event, true},
		{"event array disjoint", `{"a":["x","y"]}`, `{"a":["z","w"]}`, false},
		{"array of objects crushed", `{"employees":{"firstName":["Anna"]}}`, `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"}]}`, true},
		{"array consistency across elements", `{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`, `{"employees":[{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, false},
		{"nested arrays crushed", `{"employees":{"firstName":["Peter"]}}`, `{"employees":[[{"firstName":"John"}],[{"firstName":"Peter"}]]}`, true},
		{"empty event array does not exist", `{"a":[{"exists":true}]}`, `{"a":[]}`, false},
		{"exists false under array of objects with the field", `{"a":{"b":[{"exists":false}]}}`, `{"a":[{"b":1}]}`, false},

		// Nesting.
		{"nested match", blueprintPattern, alarmEvent, true},
		{"nested wrong value", `{"detail":{"state":{"value":["OK"]}}}`, alarmEvent, false},
		{"nested missing parent", `{"detail":{"nope":{"value":["OK"]}}}`, alarmEvent, false},
		{"blueprint pattern other prefix", strings.Replace(blueprintPattern, "vigil-dev-", "vigil-prod-", 1), alarmEvent, false},
		{"deep through array of objects", `{"detail":{"configuration":{"metrics":{"metricStat":{"metric":{"namespace":["AWS/ApplicationELB"]}}}}}}`, alarmEvent, true},
		{"leaf pattern on object value", `{"detail":["x"]}`, alarmEvent, false},

		// Operators.
		{"prefix no match", `{"time":[{"prefix":"2018"}]}`, ec2Event, false},
		{"prefix on number fails", `{"detail":{"c-count":[{"prefix":"5"}]}}`, ec2Event, false},
		{"prefix ignore case", `{"source":[{"prefix":{"equals-ignore-case":"AWS.E"}}]}`, ec2Event, true},
		{"suffix ignore case", `{"detail":{"instance-id":[{"suffix":{"equals-ignore-case":"AAAA00000"}}]}}`, ec2Event, true},
		{"suffix no match", `{"source":[{"suffix":"s3"}]}`, ec2Event, false},
		{"wildcard no match", `{"source":[{"wildcard":"aws.*3"}]}`, ec2Event, false},
		{"wildcard escaped star", `{"a":[{"wildcard":"x\\*y"}]}`, `{"a":"x*y"}`, true},
		{"wildcard escaped star literal only", `{"a":[{"wildcard":"x\\*y"}]}`, `{"a":"xzy"}`, false},
		{"wildcard empty run", `{"a":[{"wildcard":"ab*"}]}`, `{"a":"ab"}`, true},
		{"wildcard overlapping prefix and suffix", `{"a":[{"wildcard":"ab*ba"}]}`, `{"a":"aba"}`, false},
		{"anything-but matches excluded", `{"detail":{"state":[{"anything-but":"running"}]}}`, ec2Event, false},
		{"anything-but list excluded", `{"detail":{"state":[{"anything-but":["running","stopped"]}]}}`, ec2Event, false},
		{"anything-but on absent field", `{"nope":[{"anything-but":"x"}]}`, ec2Event, false},
		{"anything-but numeric excluded", `{"detail":{"c-count":[{"anything-but":[5,6]}]}}`, ec2Event, false},
		{"anything-but prefix excluded", `{"detail":{"state":[{"anything-but":{"prefix":"run"}}]}}`, ec2Event, false},
		{"anything-but suffix", `{"a":[{"anything-but":{"suffix":".png"}}]}`, `{"a":"img.jpg"}`, true},
		{"anything-but suffix excluded", `{"a":[{"anything-but":{"suffix":".png"}}]}`, `{"a":"img.png"}`, false},
		{"anything-but equals-ignore-case", `{"a":[{"anything-but":{"equals-ignore-case":["RUNNING","x"]}}]}`, `{"a":"running"}`, false},
		{"anything-but wildcard", `{"a":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"a":"/usr/bin/x"}`, true},
		{"anything-but wildcard excluded", `{"a":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"a":"/usr/lib/x"}`, false},
		{"anything-but array any element", `{"a":[{"anything-but":"x"}]}`, `{"a":["x","y"]}`, true},
		{"numeric open bound excluded", `{"detail":{"c-count":[{"numeric":[">",5]}]}}`, ec2Event, false},
		{"numeric closed bound", `{"detail":{"c-count":[{"numeric":[">=",5,"<",6]}]}}`, ec2Event, true},
		{"numeric upper open excluded", `{"detail":{"c-count":[{"numeric":[">",0,"<",5]}]}}`, ec2Event, false},
		{"numeric on string fails", `{"detail":{"state":[{"numeric":[">",0]}]}}`, ec2Event, false},
		{"numeric equality across forms", `{"a":[{"numeric":["=",300]}]}`, `{"a":3e2}`, true},
		{"cidr no match", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, ec2Event, false},
		{"cidr ipv6", `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db8::1"}`, true},
		{"cidr not an ip", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"ten"}`, false},
		{"exists true on null", `{"a":[{"exists":true}]}`, `{"a":null}`, true},
		{"exists false present", `{"a":[{"exists":false}]}`, `{"a":"x"}`, false},
		{"exists or value", `{"a":[{"exists":false},"x"]}`, `{"a":"x"}`, true},

		// $or.
		{"or first branch", `{"source":["aws.cloudwatch"],"$or":[{"detail":{"alarmName":["nope"]}},{"detail":{"state":{"value":["ALARM"]}}}]}`, alarmEvent, true},
		{"or no branch", `{"$or":[{"source":["a"]},{"source":["b"]}]}`, alarmEvent, false},
		{"or nested inside detail", `{"detail":{"$or":[{"alarmName":["vigil-dev-api-5xx"]},{"nope":["x"]}]}}`, alarmEvent, true},
		{"or with and inside", `{"$or":[{"source":["aws.cloudwatch"],"region":["eu-west-1"]},{"account":["123456789012"],"region":["us-east-1"]}]}`, alarmEvent, true},
		{"two ors both must hold", `{"$or":[{"source":["aws.cloudwatch"]},{"source":["x"]}],"detail":{"$or":[{"alarmName":["zzz"]},{"previousState":{"value":["ALARM"]}}]}}`, alarmEvent, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := pattern.Compile([]byte(tt.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tt.pattern, err)
			}
			got, err := p.MatchJSON([]byte(tt.event))
			if err != nil {
				t.Fatalf("MatchJSON: %v", err)
			}
			if got != tt.want {
				t.Errorf("pattern %s\nevent %s\nmatch = %v, want %v", tt.pattern, tt.event, got, tt.want)
			}
		})
	}
}

func TestCompileInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		reason  string
	}{
		{"not json", `{"source":`, "unexpected"},
		{"trailing data", `{"a":["x"]} {}`, "after the JSON value"},
		{"not an object", `["aws.ec2"]`, "Filter is not an object"},
		{"empty object", `{}`, "Empty objects are not allowed"},
		{"nested empty object", `{"detail":{}}`, "Empty objects are not allowed"},
		{"empty array", `{"source":[]}`, "Empty arrays are not allowed"},
		{"scalar field", `{"source":"aws.ec2"}`, `"source" must be an object or an array`},
		{"nested array value", `{"source":[["a"]]}`, "Match value must be String"},
		{"unknown operator", `{"a":[{"contains":"x"}]}`, "Unrecognized match type contains"},
		{"two keys in operator", `{"a":[{"prefix":"x","suffix":"y"}]}`, "Only one key allowed"},
		{"empty operator", `{"a":[{}]}`, "Match expression name not found"},
		{"prefix not string", `{"a":[{"prefix":5}]}`, "prefix match pattern must be a string"},
		{"wildcard consecutive stars", `{"a":[{"wildcard":"a**b"}]}`, "Consecutive wildcard"},
		{"wildcard bad escape", `{"a":[{"wildcard":"a\\b"}]}`, "Invalid escape"},
		{"anything-but mixed list", `{"a":[{"anything-but":["x",1]}]}`, "mixed type"},
		{"anything-but empty list", `{"a":[{"anything-but":[]}]}`, "mixed type"},
		{"anything-but bool", `{"a":[{"anything-but":true}]}`, "must be an array or single string/number"},
		{"anything-but empty prefix", `{"a":[{"anything-but":{"prefix":""}}]}`, "Null prefix/suffix"},
		{"anything-but unknown", `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "Unsupported anything-but pattern"},
		{"numeric not array", `{"a":[{"numeric":5}]}`, "must be an array"},
		{"numeric bad operator", `{"a":[{"numeric":["!=",5]}]}`, "Unrecognized numeric range operator"},
		{"numeric reversed range", `{"a":[{"numeric":[">",5,"<",1]}]}`, "Bottom must be less than top"},
		{"numeric too big", `{"a":[{"numeric":[">",6e9]}]}`, "between -5.0E9 and 5.0E9"},
		{"numeric string value", `{"a":[{"numeric":[">","5"]}]}`, "must be numeric"},
		{"numeric too many", `{"a":[{"numeric":["=",5,"<",6]}]}`, "Too many elements"},
		{"numeric upper first", `{"a":[{"numeric":["<",5,">",1]}]}`, "Too many elements"},
		{"cidr malformed", `{"a":[{"cidr":"10.0.0.0/99"}]}`, "Nonstandard IP address"},
		{"exists not bool", `{"a":[{"exists":"yes"}]}`, "either true or false"},
		{"or not array", `{"$or":{"a":["x"]}}`, "It must be an Array"},
		{"or single branch", `{"$or":[{"a":["x"]}]}`, "at least 2 Objects"},
		{"or non object", `{"$or":[{"a":["x"]},"b"]}`, "Only JSON object"},
		{"or reserved field", `{"$or":[{"prefix":["x"]},{"a":["y"]}]}`, "reserved fieldName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := pattern.Compile([]byte(tt.pattern))
			var pe *pattern.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%s) = %v, want *pattern.Error", tt.pattern, err)
			}
			if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Compile(%s) = %q, want a reason containing %q", tt.pattern, err, tt.reason)
			}
		})
	}
}

func TestMatchJSONRejectsNonObjects(t *testing.T) {
	t.Parallel()
	p := pattern.MustCompile(`{"a":["x"]}`)
	for _, ev := range []string{`[]`, `"x"`, `{`, ``} {
		if _, err := p.MatchJSON([]byte(ev)); err == nil {
			t.Errorf("MatchJSON(%q) succeeded, want an error", ev)
		}
	}
}
