package iam

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
)

// docKind says which grammar a policy document must follow.
type docKind int

const (
	// identityPolicy: managed and inline policies (no Principal, Resource required).
	identityPolicy docKind = iota
	// trustPolicy: a role's assume-role policy (Principal required, no Resource, sts actions).
	trustPolicy
)

// Size quotas, counted as IAM counts them: characters other than white space.
const (
	maxTrustPolicySize      = 2048  // ACLSizePerRole (default quota)
	maxManagedPolicySize    = 6144  // PolicySize
	maxRoleInlinePolicySize = 10240 // aggregate of a role's inline policies
	maxUserInlinePolicySize = 2048  // aggregate of a user's inline policies
)

// policySize counts a document's characters, white space excluded.
func policySize(doc string) int {
	n := 0
	for _, c := range doc {
		if !unicode.IsSpace(c) {
			n++
		}
	}
	return n
}

// validatePolicy checks a policy document the way IAM does before storing
// it, answering MalformedPolicyDocument with IAM's own messages.
func validatePolicy(doc string, kind docKind) error {
	if strings.TrimSpace(doc) == "" {
		return errMalformed("Syntax errors in policy.")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return errMalformed("This policy contains invalid Json")
	}
	if dec.More() {
		return errMalformed("This policy contains invalid Json")
	}
	top, ok := v.(map[string]any)
	if !ok {
		return errMalformed("Syntax errors in policy.")
	}
	for k := range top {
		switch k {
		case "Version", "Id", "Statement":
		default:
			return errMalformed("Syntax errors in policy.")
		}
	}
	if ver, ok := top["Version"]; ok {
		s, isStr := ver.(string)
		if !isStr || (s != "2012-10-17" && s != "2008-10-17") {
			return errMalformed("The policy failed legacy parsing")
		}
	}
	if id, ok := top["Id"]; ok {
		if _, isStr := id.(string); !isStr {
			return errMalformed("Syntax errors in policy.")
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return errMalformed("Syntax errors in policy.")
	}
	var stmts []any
	switch t := raw.(type) {
	case []any:
		stmts = t
	case map[string]any:
		stmts = []any{t}
	default:
		return errMalformed("Syntax errors in policy.")
	}
	if len(stmts) == 0 {
		return errMalformed("Syntax errors in policy.")
	}
	sids := map[string]bool{}
	for _, raw := range stmts {
		st, ok := raw.(map[string]any)
		if !ok {
			return errMalformed("Syntax errors in policy.")
		}
		if err := validateStatement(st, kind); err != nil {
			return err
		}
		if sid, ok := st["Sid"].(string); ok && sid != "" {
			if sids[sid] {
				return errMalformed("Statement IDs (SID) in a single policy must be unique.")
			}
			sids[sid] = true
		}
	}
	return nil
}

func validateStatement(st map[string]any, kind docKind) error {
	for k := range st {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
		default:
			return errMalformed("Syntax errors in policy.")
		}
	}
	if sid, ok := st["Sid"]; ok {
		s, isStr := sid.(string)
		if !isStr {
			return errMalformed("Syntax errors in policy.")
		}
		for _, c := range s {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return errMalformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
			}
		}
	}
	effect, ok := st["Effect"].(string)
	if !ok || (effect != "Allow" && effect != "Deny") {
		return errMalformed("Syntax errors in policy.")
	}
	_, hasAction := st["Action"]
	_, hasNotAction := st["NotAction"]
	if hasAction == hasNotAction {
		if !hasAction {
			return errMalformed("Policy statement must contain actions.")
		}
		return errMalformed("Syntax errors in policy.")
	}
	actionKey := "Action"
	if hasNotAction {
		actionKey = "NotAction"
	}
	actions, ok := stringList(st[actionKey])
	if !ok || len(actions) == 0 {
		return errMalformed("Syntax errors in policy.")
	}
	for _, a := range actions {
		if a != "*" && !strings.Contains(a, ":") {
			return errMalformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
		}
	}
	_, hasResource := st["Resource"]
	_, hasNotResource := st["NotResource"]
	_, hasPrincipal := st["Principal"]
	_, hasNotPrincipal := st["NotPrincipal"]
	switch kind {
	case identityPolicy:
		if hasPrincipal || hasNotPrincipal {
			return errMalformed("Policy document should not specify a principal.")
		}
		if hasResource == hasNotResource {
			if !hasResource {
				return errMalformed("Policy statement must contain resources.")
			}
			return errMalformed("Syntax errors in policy.")
		}
		rkey := "Resource"
		if hasNotResource {
			rkey = "NotResource"
		}
		res, ok := stringList(st[rkey])
		if !ok || len(res) == 0 {
			return errMalformed("Syntax errors in policy.")
		}
		for _, r := range res {
			if r != "*" && !strings.HasPrefix(r, "arn:") && !strings.HasPrefix(r, "${") {
				return errMalformed("Resource %s must be in ARN format or \"*\".", r)
			}
		}
	case trustPolicy:
		if hasResource {
			return errMalformed("Has prohibited field Resource")
		}
		if hasNotResource {
			return errMalformed("Has prohibited field NotResource")
		}
		if hasPrincipal == hasNotPrincipal {
			if !hasPrincipal {
				return errMalformed("AssumeRolepolicy contained an invalid principal element")
			}
			return errMalformed("Syntax errors in policy.")
		}
		pkey := "Principal"
		if hasNotPrincipal {
			pkey = "NotPrincipal"
		}
		if err := validatePrincipal(st[pkey]); err != nil {
			return err
		}
		for _, a := range actions {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "sts:") {
				return errMalformed("AssumeRole policy may only specify STS AssumeRole actions.")
			}
		}
	}
	if c, ok := st["Condition"]; ok {
		if err := validateCondition(c); err != nil {
			return err
		}
	}
	return nil
}

// validatePrincipal accepts "*" or {"AWS"|"Service"|"Federated"|"CanonicalUser": string or [strings]}.
func validatePrincipal(p any) error {
	if s, ok := p.(string); ok {
		if s == "*" {
			return nil
		}
		return errMalformed("Invalid principal in policy: %q", s)
	}
	m, ok := p.(map[string]any)
	if !ok || len(m) == 0 {
		return errMalformed("AssumeRolepolicy contained an invalid principal element")
	}
	for k, v := range m {
		switch k {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return errMalformed("Invalid principal in policy: %q", k)
		}
		vals, ok := stringList(v)
		if !ok || len(vals) == 0 {
			return errMalformed("AssumeRolepolicy contained an invalid principal element")
		}
		for _, s := range vals {
			if s == "" {
				return errMalformed("Invalid principal in policy: \"%s\":\"\"", k)
			}
		}
	}
	return nil
}

// validateCondition accepts {operator: {key: value or [values]}}.
func validateCondition(c any) error {
	m, ok := c.(map[string]any)
	if !ok {
		return errMalformed("Syntax errors in policy.")
	}
	for _, block := range m {
		inner, ok := block.(map[string]any)
		if !ok {
			return errMalformed("Syntax errors in policy.")
		}
		for _, v := range inner {
			switch t := v.(type) {
			case string, bool, json.Number:
			case []any:
				for _, e := range t {
					switch e.(type) {
					case string, bool, json.Number:
					default:
						return errMalformed("Syntax errors in policy.")
					}
				}
			default:
				return errMalformed("Syntax errors in policy.")
			}
		}
	}
	return nil
}

// stringList reads a policy element that is a string or a list of strings.
func stringList(v any) ([]string, bool) {
	switch t := v.(type) {
	case string:
		return []string{t}, true
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
