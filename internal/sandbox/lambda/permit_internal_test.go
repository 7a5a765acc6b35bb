package lambda

import "testing"

func TestPermitted(t *testing.T) {
	t.Parallel()
	rule := "arn:aws:events:us-east-1:123456789012:rule/alarms"
	stmt := func(principal any, cond map[string]map[string]string) Statement {
		return Statement{Effect: "Allow", Action: "lambda:InvokeFunction", Principal: principal, Condition: cond}
	}
	svc := func(s string) map[string]any { return map[string]any{"Service": s} }
	tests := []struct {
		name       string
		qualifier  string
		policies   map[string]*policyDoc
		principal  string
		source     string
		wantResult bool
	}{
		{"no policy", "", nil, "events.amazonaws.com", rule, false},
		{"service and source", "", map[string]*policyDoc{"": {Statements: []Statement{stmt(svc("events.amazonaws.com"), map[string]map[string]string{"ArnLike": {"AWS:SourceArn": rule}})}}}, "events.amazonaws.com", rule, true},
		{"other source", "", map[string]*policyDoc{"": {Statements: []Statement{stmt(svc("events.amazonaws.com"), map[string]map[string]string{"ArnLike": {"AWS:SourceArn": rule}})}}}, "events.amazonaws.com", rule + "2", false},
		{"wildcard source", "", map[string]*policyDoc{"": {Statements: []Statement{stmt(svc("events.amazonaws.com"), map[string]map[string]string{"ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/*"}})}}}, "events.amazonaws.com", rule, true},
		{"other service", "", map[string]*policyDoc{"": {Statements: []Statement{stmt(svc("sns.amazonaws.com"), nil)}}}, "events.amazonaws.com", rule, false},
		{"any principal", "", map[string]*policyDoc{"": {Statements: []Statement{stmt("*", nil)}}}, "events.amazonaws.com", rule, true},
		{"source account", "", map[string]*policyDoc{"": {Statements: []Statement{stmt(svc("events.amazonaws.com"), map[string]map[string]string{"StringEquals": {"AWS:SourceAccount": "123456789012"}})}}}, "events.amazonaws.com", rule, true},
		{"unknown condition does not grant", "", map[string]*policyDoc{"": {Statements: []Statement{stmt(svc("events.amazonaws.com"), map[string]map[string]string{"StringEquals": {"aws:PrincipalOrgID": "o-x"}})}}}, "events.amazonaws.com", rule, false},
		{"$LATEST uses the function's policy", "$LATEST", map[string]*policyDoc{"": {Statements: []Statement{stmt(svc("events.amazonaws.com"), nil)}}}, "events.amazonaws.com", rule, true},
		{"alias has its own policy", "live", map[string]*policyDoc{"": {Statements: []Statement{stmt(svc("events.amazonaws.com"), nil)}}}, "events.amazonaws.com", rule, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &functionDoc{Policies: tt.policies}
			if got := permitted(f, tt.qualifier, tt.principal, tt.source, "123456789012"); got != tt.wantResult {
				t.Errorf("permitted = %v", got)
			}
		})
	}
	for _, g := range []struct {
		p, s string
		want bool
	}{{"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"*", "", true}, {"arn:*:x", "arn:aws:y", false}} {
		if globMatch(g.p, g.s) != g.want {
			t.Errorf("globMatch(%q, %q) = %v", g.p, g.s, !g.want)
		}
	}
}
