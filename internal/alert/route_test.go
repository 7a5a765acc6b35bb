package alert_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/alert"
)

func testTree() *alert.Route {
	return &alert.Route{
		Receivers: []string{"default"},
		Routes: []alert.Route{
			{Name: "prod-pages", Environment: []string{"prod", "prod-*"}, Severity: []string{"critical", "error"},
				Receivers: []string{"pager", "chat"},
				Routes: []alert.Route{
					{Name: "prod-drift", Kind: []string{"drift"}, Receivers: []string{"chat"}},
				}},
			{Name: "drift-audit", Kind: []string{"drift"}, Receivers: []string{"audit"}, Continue: true},
			{Name: "foundation", Layer: []string{"foundation"}, Receivers: []string{"infra"}},
			{Name: "team-web", Labels: map[string]string{"team": "web*"}},
			{Name: "canary", Kind: []string{"canary"}, Receivers: []string{"chat"}},
		},
	}
}

func TestRouteMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		alert alert.Alert
		want  []alert.RouteMatch
	}{
		{"nothing matches: root", alert.Alert{Kind: alert.KindAlarm, Severity: alert.SeverityInfo, Environment: "dev"},
			[]alert.RouteMatch{{Route: "root", Receivers: []string{"default"}}}},
		{"prod critical", alert.Alert{Kind: alert.KindAlarm, Severity: alert.SeverityCritical, Environment: "prod"},
			[]alert.RouteMatch{{Route: "prod-pages", Receivers: []string{"pager", "chat"}}}},
		{"glob env", alert.Alert{Kind: alert.KindAlarm, Severity: alert.SeverityError, Environment: "prod-eu"},
			[]alert.RouteMatch{{Route: "prod-pages", Receivers: []string{"pager", "chat"}}}},
		{"prod warning falls through", alert.Alert{Kind: alert.KindAlarm, Severity: alert.SeverityWarning, Environment: "prod"},
			[]alert.RouteMatch{{Route: "root", Receivers: []string{"default"}}}},
		{"nested child wins, first match stops", alert.Alert{Kind: alert.KindDrift, Severity: alert.SeverityError, Environment: "prod"},
			[]alert.RouteMatch{{Route: "prod-drift", Receivers: []string{"chat"}}}},
		{"continue tries next siblings", alert.Alert{Kind: alert.KindDrift, Severity: alert.SeverityWarning, Environment: "dev", Layer: "foundation"},
			[]alert.RouteMatch{{Route: "drift-audit", Receivers: []string{"audit"}}, {Route: "foundation", Receivers: []string{"infra"}}}},
		{"continue with no further match", alert.Alert{Kind: alert.KindDrift, Severity: alert.SeverityWarning, Environment: "dev", Layer: "workload"},
			[]alert.RouteMatch{{Route: "drift-audit", Receivers: []string{"audit"}}}},
		{"labels glob; inherits receivers", alert.Alert{Kind: alert.KindAlarm, Severity: alert.SeverityInfo, Labels: map[string]string{"team": "webshop"}},
			[]alert.RouteMatch{{Route: "team-web", Receivers: []string{"default"}}}},
		{"label missing", alert.Alert{Kind: alert.KindCanary, Severity: alert.SeverityInfo, Labels: map[string]string{"x": "y"}},
			[]alert.RouteMatch{{Route: "canary", Receivers: []string{"chat"}}}},
	}
	d, err := alert.NewDispatcher(testTree(), receivers("default", "pager", "chat", "audit", "infra"), nil, alert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = d
	tree := testTree()
	if err := tree.Validate(nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tree.Match(tt.alert)
			// Validate does not name the root of the caller's tree.
			for i := range got {
				if got[i].Route == "" {
					got[i].Route = "root"
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Match = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRouteValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		route   *alert.Route
		wantErr string
	}{
		{"ok", testTree(), ""},
		{"nil", nil, "no routing tree"},
		{"root without receivers", &alert.Route{}, "the root route needs receivers"},
		{"root with matchers", &alert.Route{Receivers: []string{"default"}, Kind: []string{"drift"}}, "the root route matches every alert"},
		{"unknown receiver", &alert.Route{Receivers: []string{"default"}, Routes: []alert.Route{{Receivers: []string{"nope"}}}}, `route root.0: no receiver named "nope"`},
		{"bad kind", &alert.Route{Receivers: []string{"default"}, Routes: []alert.Route{{Name: "x", Kind: []string{"drfit"}}}}, `route x: kind "drfit" is not one of`},
		{"bad severity", &alert.Route{Receivers: []string{"default"}, Routes: []alert.Route{{Severity: []string{"high"}}}}, `severity "high"`},
		{"bad glob", &alert.Route{Receivers: []string{"default"}, Routes: []alert.Route{{Environment: []string{"[x"}}}}, `bad pattern "[x"`},
		{"duplicate names", &alert.Route{Receivers: []string{"default"}, Routes: []alert.Route{{Name: "a"}, {Name: "a"}}}, `name "a" is used twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.route.Validate([]string{"default", "pager", "chat", "audit", "infra"})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
