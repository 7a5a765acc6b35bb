package sns

import (
	"encoding/json"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/events/pattern"
)

// passesFilter reports whether a message passes a subscription's filter
// policy. SNS filter policies use the EventBridge pattern syntax (exact
// values, prefix, suffix, anything-but, numeric, exists, equals-ignore-case,
// cidr, $or), so they are matched with package pattern:
//
//   - scope MessageAttributes (the default): against an object of the
//     message's attributes, String as a string, Number as a number,
//     String.Array as an array; Binary attributes are never matched;
//   - scope MessageBody: against the message body, which must be a JSON
//     object (otherwise the message does not pass).
func passesFilter(sub subscriptionDoc, m Message) (bool, error) {
	fp := sub.Attributes["FilterPolicy"]
	if fp == "" || fp == "{}" {
		return true, nil
	}
	p, err := pattern.Compile([]byte(fp))
	if err != nil {
		return false, err
	}
	if sub.Attributes["FilterPolicyScope"] == "MessageBody" {
		body := m.Message
		if m.MessageStructure == "json" {
			var per map[string]string
			_ = json.Unmarshal([]byte(body), &per)
			if v, ok := per[sub.Protocol]; ok {
				body = v
			} else {
				body = per["default"]
			}
		}
		ok, err := p.MatchJSON([]byte(body))
		if err != nil {
			return false, nil // not a JSON object: the policy cannot match
		}
		return ok, nil
	}
	obj := map[string]any{}
	for name, a := range m.MessageAttributes {
		switch {
		case a.DataType == "String.Array":
			var arr []any
			dec := json.NewDecoder(strings.NewReader(a.StringValue))
			dec.UseNumber()
			if dec.Decode(&arr) == nil {
				obj[name] = arr
			}
		case strings.HasPrefix(a.DataType, "Number"):
			obj[name] = json.Number(a.StringValue)
		case strings.HasPrefix(a.DataType, "String"):
			obj[name] = a.StringValue
		}
	}
	return p.Match(obj), nil
}
