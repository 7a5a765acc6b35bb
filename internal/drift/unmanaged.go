package drift

import (
	"context"
	"encoding/json"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Resource is one resource an Inventory found in the account.
type Resource struct {
	// Type is the Terraform resource type that manages such a resource
	// ("aws_sns_topic").
	Type string
	// ID is the id Terraform gives it (what `terraform import` takes).
	ID string
	// ARN is its ARN, when it has one.
	ARN  string
	Tags map[string]string
}

// Inventory lists the resources of an account that carry every one of the
// given tags. It may return partial results with an error (listings that
// failed, by kind).
type Inventory interface {
	Tagged(ctx context.Context, tags map[string]string) ([]Resource, error)
	// Kinds are the resource types it lists.
	Kinds() []string
}

// typeAliases map resource types that manage the same kind of resource to
// one name.
var typeAliases = map[string]string{
	"aws_alb":              "aws_lb",
	"aws_alb_target_group": "aws_lb_target_group",
}

func canonicalType(t string) string {
	if a, ok := typeAliases[t]; ok {
		return a
	}
	return t
}

// managed is what the stacks' states hold: every ARN, and every id and
// name by resource type.
type managed struct {
	arns map[string]bool
	ids  map[string]bool // canonical type + "\x00" + id or name
}

func newManaged() *managed {
	return &managed{arns: map[string]bool{}, ids: map[string]bool{}}
}

// add records one resource instance's identifying attributes: arn, id,
// name and the type's own name attribute.
func (m *managed) add(typ string, values map[string]any) {
	typ = canonicalType(typ)
	for _, k := range []string{"arn", "id", "name", "alarm_name", "function_name", "role_name"} {
		s, ok := values[k].(string)
		if !ok || s == "" {
			continue
		}
		if strings.HasPrefix(s, "arn:") {
			m.arns[s] = true
		}
		m.ids[typ+"\x00"+s] = true
	}
}

// addState records the managed instances of a state file.
func (m *managed) addState(data []byte) error {
	objs, _, err := parseState(data)
	if err != nil {
		return err
	}
	for _, o := range objs {
		var values map[string]any
		if json.Unmarshal(o.Values, &values) == nil {
			m.add(o.Type, values)
		}
	}
	return nil
}

// addPlan records the managed instances of a plan's prior state and the
// resources its drift says were deleted.
func (m *managed) addPlan(p *tfjson.Plan) {
	if p.PriorState != nil && p.PriorState.Values != nil {
		m.addModule(p.PriorState.Values.RootModule)
	}
	for _, rc := range p.ResourceDrift {
		if rc != nil && rc.Change != nil && rc.Mode == tfjson.ManagedResourceMode {
			if v, ok := rc.Change.Before.(map[string]any); ok {
				m.add(rc.Type, v)
			}
		}
	}
}

func (m *managed) addModule(mod *tfjson.StateModule) {
	if mod == nil {
		return
	}
	for _, r := range mod.Resources {
		if r.Mode == tfjson.ManagedResourceMode {
			m.add(r.Type, r.AttributeValues)
		}
	}
	for _, c := range mod.ChildModules {
		m.addModule(c)
	}
}

func (m *managed) merge(o *managed) {
	for k := range o.arns {
		m.arns[k] = true
	}
	for k := range o.ids {
		m.ids[k] = true
	}
}

// has reports whether a stack manages r: its ARN, or its id under its
// type, is in some state.
func (m *managed) has(r Resource) bool {
	if r.ARN != "" && m.arns[r.ARN] {
		return true
	}
	return r.ID != "" && m.ids[canonicalType(r.Type)+"\x00"+r.ID]
}

// unmanagedFindings are the tagged resources no state holds.
func unmanagedFindings(found []Resource, m *managed) []Finding {
	var out []Finding
	for _, r := range found {
		if m.has(r) {
			continue
		}
		addr := r.ARN
		if addr == "" {
			addr = r.ID
		}
		out = append(out, Finding{Kind: KindUnmanaged, Address: addr, Type: r.Type, ID: r.ID})
	}
	return out
}
