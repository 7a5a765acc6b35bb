package rules

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/vigil-sre/vigil/internal/policy/model"
)

// This file holds VGL-R070: a production environment whose foundation does
// not deny console writes (M18).

// FoundationLayer is the layer a guardrail belongs to.
const FoundationLayer = "foundation"

// IsProduction reports whether an environment name reads as production:
// "prod" or "production", alone or as a part separated by '-', '_' or '.'
// ("prod-eu", "eu_production"), but not "preprod", "pre-prod" or
// "nonprod". vigil init uses the same test to derive an environment from the
// prod template.
func IsProduction(env string) bool {
	parts := strings.FieldsFunc(strings.ToLower(env), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, p := range parts {
		if p != "prod" && p != "production" {
			continue
		}
		if i > 0 && (parts[i-1] == "pre" || parts[i-1] == "non") {
			continue
		}
		return true
	}
	return false
}

// guardrailKeys are the condition keys a guardrail's deny tests: who calls,
// or whether an AWS service calls on their behalf.
var guardrailKeys = map[string]bool{"aws:principalarn": true, "aws:viaawsservice": true}

// guardrailDocs are the resources that can carry a guardrail and the
// attribute holding their document.
var guardrailDocs = map[string]string{"aws_iam_policy": "policy", "aws_organizations_policy": "content"}

func checkGuardrail(v *model.View) []Result {
	if v.Source != "hcl" {
		return nil // the guardrail is a property of the code, judged once
	}
	var out []Result
	for _, m := range v.Modules {
		if m.Parent != nil {
			continue
		}
		env, layer := stackIdentity(m)
		if layer != FoundationLayer || !IsProduction(env) || hasGuardrail(v, m) {
			continue
		}
		rng, ok := guardrailAnchor(v, m)
		if !ok {
			continue
		}
		out = append(out, Result{
			Range: rng,
			Message: fmt.Sprintf("production environment %q: its foundation (%s) has no console-write guardrail: no IAM policy or SCP denies writes to everyone but the pipeline's role",
				env, filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(m.Dir)), filepath.Base(m.Dir)))),
		})
	}
	return out
}

// stackIdentity returns the environment and layer of a root module: the
// provider's default_tags "vigil:env" and "vigil:layer" when known, else the
// folders of the live/<env>/<layer> layout.
func stackIdentity(m *model.Module) (env, layer string) {
	env, layer = filepath.Base(filepath.Dir(m.Dir)), filepath.Base(m.Dir)
	for _, p := range m.Providers {
		if len(p.Labels) == 0 || p.Labels[0] != "aws" {
			continue
		}
		dt := p.Block("default_tags")
		if dt == nil {
			continue
		}
		if e, ok := tagValue(dt.Attr("tags"), "vigil:env"); ok {
			env = e
		}
		if l, ok := tagValue(dt.Attr("tags"), "vigil:layer"); ok {
			layer = l
		}
	}
	return env, layer
}

func tagValue(a *model.Attribute, key string) (string, bool) {
	if a == nil || !a.Value.IsKnown() || a.Value.IsNull() {
		return "", false
	}
	t := a.Value.Type()
	if !(t.IsObjectType() || t.IsMapType()) {
		return "", false
	}
	for it := a.Value.ElementIterator(); it.Next(); {
		k, val := it.Element()
		if k.AsString() == key {
			return model.AsString(val)
		}
	}
	return "", false
}

// hasGuardrail reports whether the root's tree holds a policy with a Deny
// conditioned on the principal or on aws:ViaAWSService. A document that
// cannot be read counts: the rule is about absence and does not guess.
func hasGuardrail(v *model.View, root *model.Module) bool {
	for _, r := range v.Resources {
		attr, ok := guardrailDocs[r.Type]
		if !ok || r.Mode != model.Managed || r.Module == nil || r.Module.Root != root {
			continue
		}
		doc := r.Attr(attr).PolicyDocument()
		if doc == nil {
			continue
		}
		if !doc.Complete && len(doc.Statements) == 0 {
			return true
		}
		for _, st := range doc.Statements {
			if st.Effect != "Deny" && st.Effect != "" {
				continue
			}
			for _, k := range st.ConditionKeys {
				if guardrailKeys[strings.ToLower(k)] {
					return true
				}
			}
		}
	}
	return false
}

// guardrailAnchor is where the finding points: the switch of a guardrail
// module that is turned off (its enabled or count argument), else the aws
// provider block, the backend block, the first resource or module call.
func guardrailAnchor(v *model.View, root *model.Module) (finding.Range, bool) {
	for _, m := range v.Modules {
		if m.Root != root || m.Call == nil || !strings.Contains(strings.ToLower(filepath.Base(m.Dir)), "guardrail") {
			continue
		}
		for _, name := range []string{"enabled", "count"} {
			if a := m.Call.Attr(name); a != nil {
				return a.Range, true
			}
		}
		return m.Call.DefRange, true
	}
	for _, p := range root.Providers {
		if len(p.Labels) > 0 && p.Labels[0] == "aws" {
			return p.DefRange, true
		}
	}
	if len(root.Backends) > 0 {
		return root.Backends[0].DefRange, true
	}
	if len(root.Resources) > 0 {
		return root.Resources[0].DefRange, true
	}
	for _, c := range root.Children {
		if c.Call != nil {
			return c.Call.DefRange, true
		}
	}
	return finding.Range{}, false
}
