package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Masked replaces a value Terraform marks sensitive, as Terraform itself
// shows it.
const Masked = "(sensitive value)"

// MaskedChanged replaces the new value of a sensitive attribute that the
// plan changes, so a review shows that it changes without showing it.
const MaskedChanged = "(sensitive value, changed)"

// maskedPattern is what replaces an unmarked value the pattern pass found;
// kind says why ("AWS access key", "private key", ...).
func maskedPattern(kind string) string { return "(masked: " + kind + ")" }

// IsMasked reports whether s is (or contains) a mask.
func IsMasked(s string) bool {
	return strings.Contains(s, "(sensitive value") || strings.Contains(s, "(masked: ")
}

// Secrets are the values Mask removed from a plan. Scrub removes them (and
// anything the pattern pass recognises) from other text, such as
// Terraform's output for the same stack. Never print or store a Secrets.
type Secrets struct {
	values []string // longest first
}

func (s *Secrets) add(v string) {
	if v == "" || IsMasked(v) {
		return
	}
	if !slices.Contains(s.values, v) {
		s.values = append(s.values, v)
	}
}

func (s *Secrets) sort() {
	slices.SortFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// Merge adds the values of o.
func (s *Secrets) Merge(o *Secrets) {
	if o == nil {
		return
	}
	for _, v := range o.values {
		s.add(v)
	}
	s.sort()
}

// Len is how many distinct values are known.
func (s *Secrets) Len() int {
	if s == nil {
		return 0
	}
	return len(s.values)
}

// minSubstring is the shortest known secret replaced inside longer text;
// shorter ones are replaced only where they are a whole value, else common
// words would be masked everywhere.
const minSubstring = 6

// Scrub returns text with every known secret and every value the pattern
// pass recognises masked.
func (s *Secrets) Scrub(text string) string {
	if s != nil {
		for _, v := range s.values {
			if len(v) >= minSubstring {
				text = strings.ReplaceAll(text, v, Masked)
			}
		}
	}
	return MaskText(text)
}

// scrubValue masks a whole JSON string value: known secrets (also short
// ones, as a whole value) and patterns.
func (s *Secrets) scrubValue(v string) string {
	for _, sec := range s.values {
		if v == sec {
			return Masked
		}
	}
	return s.Scrub(v)
}

var (
	awsKeyIDRe     = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`)
	privateKeyRe   = regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)`)
	tokenPrefixRe  = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,}|AIza[A-Za-z0-9_-]{30,})`)
	urlPasswordRe  = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)([^/\s@]+)(@)`)
	entropyTokenRe = regexp.MustCompile(`[A-Za-z0-9+/=]{20,}`)

	// secretKeyRe matches attribute and variable names that hold secrets.
	secretKeyRe = regexp.MustCompile(`(?i)(^|_)(password|passwd|passphrase|secret|secret_key|secret_string|private_key|privatekey|api_key|apikey|access_key|auth_token|token|client_secret|credentials?)(_value|_string|_data|_wo)?$`)
	// notSecretKeyRe are names secretKeyRe matches that hold no secret.
	notSecretKeyRe = regexp.MustCompile(`(?i)(_arn|_arns|_id|_ids|_name|_names|_length|_version|_type|_enabled|_count)$`)
	// noEntropyKeyRe are names whose values are hashes, ids and checksums:
	// random-looking by design, not secret.
	noEntropyKeyRe = regexp.MustCompile(`(?i)(hash|sha|digest|etag|checksum|fingerprint|(^|_)id$|_ids?$|arn|^version)`)
)

// MaskText masks what the pattern pass recognises in free text (logs,
// error messages): AWS access key ids, private keys, well-known token
// formats, passwords in URLs, and long high-entropy tokens.
func MaskText(text string) string {
	text = privateKeyRe.ReplaceAllString(text, maskedPattern("private key"))
	text = awsKeyIDRe.ReplaceAllString(text, maskedPattern("AWS access key"))
	text = tokenPrefixRe.ReplaceAllString(text, maskedPattern("token"))
	text = urlPasswordRe.ReplaceAllString(text, "${1}"+maskedPattern("password")+"${3}")
	text = entropyTokenRe.ReplaceAllStringFunc(text, func(tok string) string {
		if looksRandom(tok) {
			return maskedPattern("high-entropy token")
		}
		return tok
	})
	return text
}

// looksRandom reports whether tok looks like a generated secret: mixed
// case and digits, and a Shannon entropy close to that of random text of
// its length.
func looksRandom(tok string) bool {
	var upper, lower, other int
	freq := map[rune]int{}
	for _, r := range tok {
		switch {
		case r >= 'A' && r <= 'Z':
			upper++
		case r >= 'a' && r <= 'z':
			lower++
		default: // digits, '+', '/', '='
			other++
		}
		freq[r]++
	}
	if upper < 2 || lower < 2 || other < 1 {
		return false
	}
	n := float64(len(tok))
	h := 0.0
	for _, c := range freq {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h >= min(4.5, 0.86*math.Log2(n))
}

// Mask returns the plan JSON (terraform show -json) with every value
// Terraform marks sensitive replaced by Masked: resource changes and drift
// (before_sensitive/after_sensitive), output changes, planned values and
// prior state (sensitive_values, sensitive outputs), the values and
// defaults of sensitive variables. A second pass masks values Terraform
// did not mark: attributes named like secrets (password, secret, token,
// private_key...), AWS access key ids, private keys, well-known token
// formats, passwords in URLs and high-entropy tokens. Every removed value
// is also replaced wherever else it occurs in the document. Secrets holds
// what was removed, to scrub logs with.
func Mask(planJSON []byte) ([]byte, *Secrets, error) {
	dec := json.NewDecoder(bytes.NewReader(planJSON))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("read plan JSON: %w", err)
	}
	sec := &Secrets{}
	m := masker{sec: sec}

	// Sensitive variables: their values and declared defaults.
	if cfg, ok := doc["configuration"].(map[string]any); ok {
		if root, ok := cfg["root_module"].(map[string]any); ok {
			sensitiveVars := m.moduleConfig(root)
			if vars, ok := doc["variables"].(map[string]any); ok {
				for name, v := range vars {
					if vm, ok := v.(map[string]any); ok && sensitiveVars[name] {
						vm["value"] = m.whole(vm["value"])
					}
				}
			}
		}
	}
	for _, key := range []string{"resource_changes", "resource_drift"} {
		list, _ := doc[key].([]any)
		for _, rc := range list {
			rcm, _ := rc.(map[string]any)
			if ch, ok := rcm["change"].(map[string]any); ok {
				m.change(ch)
			}
		}
	}
	if deferred, ok := doc["deferred_changes"].([]any); ok {
		for _, d := range deferred {
			dm, _ := d.(map[string]any)
			rc, _ := dm["resource_change"].(map[string]any)
			if ch, ok := rc["change"].(map[string]any); ok {
				m.change(ch)
			}
		}
	}
	if outs, ok := doc["output_changes"].(map[string]any); ok {
		for _, o := range outs {
			if ch, ok := o.(map[string]any); ok {
				m.change(ch)
			}
		}
	}
	if pv, ok := doc["planned_values"].(map[string]any); ok {
		m.values(pv)
	}
	if ps, ok := doc["prior_state"].(map[string]any); ok {
		if vals, ok := ps["values"].(map[string]any); ok {
			m.values(vals)
		}
	}

	// Pattern pass by attribute name, then every string everywhere.
	m.byName(doc, "")
	sec.sort()
	out := m.scrubAll(doc)
	b, err := json.Marshal(out)
	if err != nil {
		return nil, nil, err
	}
	return b, sec, nil
}

type masker struct {
	sec *Secrets
}

// whole masks an entire value, remembering its strings.
func (m masker) whole(v any) any {
	if v == nil {
		return nil
	}
	m.collect(v)
	return Masked
}

func (m masker) collect(v any) {
	switch t := v.(type) {
	case string:
		m.sec.add(t)
	case json.Number:
		// Numbers are masked in place but not searched for elsewhere.
	case map[string]any:
		for _, x := range t {
			m.collect(x)
		}
	case []any:
		for _, x := range t {
			m.collect(x)
		}
	}
}

// bySens masks the parts of v that the sensitivity mask sens marks: true
// masks the value, an object or array descends.
func (m masker) bySens(v, sens any) any {
	switch s := sens.(type) {
	case bool:
		if s {
			return m.whole(v)
		}
		return v
	case map[string]any:
		vm, ok := v.(map[string]any)
		if !ok {
			return v
		}
		for k, ks := range s {
			if x, ok := vm[k]; ok {
				vm[k] = m.bySens(x, ks)
			}
		}
		return vm
	case []any:
		va, ok := v.([]any)
		if !ok {
			return v
		}
		for i := range va {
			if i < len(s) {
				va[i] = m.bySens(va[i], s[i])
			}
		}
		return va
	}
	return v
}

func (m masker) change(ch map[string]any) {
	before := ch["before"]
	ch["after"] = m.bySensPair(ch["after"], ch["after_sensitive"], before, before != nil)
	ch["before"] = m.bySens(before, ch["before_sensitive"])
}

// bySensPair masks like bySens and, where it masks a value, says whether
// it differs from its counterpart in other (the value before the change).
func (m masker) bySensPair(v, sens, other any, hasOther bool) any {
	switch s := sens.(type) {
	case bool:
		if !s || v == nil {
			return v
		}
		m.collect(v)
		if hasOther && !jsonEqual(v, other) {
			return MaskedChanged
		}
		return Masked
	case map[string]any:
		vm, ok := v.(map[string]any)
		if !ok {
			return v
		}
		om, _ := other.(map[string]any)
		for k, ks := range s {
			if x, ok := vm[k]; ok {
				vm[k] = m.bySensPair(x, ks, om[k], hasOther)
			}
		}
		return vm
	case []any:
		va, ok := v.([]any)
		if !ok {
			return v
		}
		oa, _ := other.([]any)
		for i := range va {
			if i < len(s) {
				var o any
				if i < len(oa) {
					o = oa[i]
				}
				va[i] = m.bySensPair(va[i], s[i], o, hasOther)
			}
		}
		return va
	}
	return v
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// values masks a planned_values / prior_state values object.
func (m masker) values(v map[string]any) {
	if outs, ok := v["outputs"].(map[string]any); ok {
		for _, o := range outs {
			om, _ := o.(map[string]any)
			if om != nil && om["sensitive"] == true {
				om["value"] = m.whole(om["value"])
			}
		}
	}
	if root, ok := v["root_module"].(map[string]any); ok {
		m.module(root)
	}
}

func (m masker) module(mod map[string]any) {
	if rs, ok := mod["resources"].([]any); ok {
		for _, r := range rs {
			rm, _ := r.(map[string]any)
			if rm != nil {
				rm["values"] = m.bySens(rm["values"], rm["sensitive_values"])
			}
		}
	}
	if cms, ok := mod["child_modules"].([]any); ok {
		for _, c := range cms {
			if cm, ok := c.(map[string]any); ok {
				m.module(cm)
			}
		}
	}
}

// moduleConfig masks the defaults of sensitive variables in a configuration
// module (and the modules it calls) and returns the names of the module's
// sensitive variables.
func (m masker) moduleConfig(mod map[string]any) map[string]bool {
	names := map[string]bool{}
	if vars, ok := mod["variables"].(map[string]any); ok {
		for name, v := range vars {
			vm, _ := v.(map[string]any)
			if vm != nil && vm["sensitive"] == true {
				names[name] = true
				if d, ok := vm["default"]; ok {
					vm["default"] = m.whole(d)
				}
			}
		}
	}
	if calls, ok := mod["module_calls"].(map[string]any); ok {
		for _, c := range calls {
			cm, _ := c.(map[string]any)
			if child, ok := cm["module"].(map[string]any); ok {
				m.moduleConfig(child)
			}
		}
	}
	if outs, ok := mod["outputs"].(map[string]any); ok {
		for _, o := range outs {
			om, _ := o.(map[string]any)
			if om == nil || om["sensitive"] != true {
				continue
			}
			if expr, ok := om["expression"].(map[string]any); ok {
				if cv, ok := expr["constant_value"]; ok {
					expr["constant_value"] = m.whole(cv)
				}
			}
		}
	}
	return names
}

// byName masks string values of attributes whose names say they hold a
// secret, anywhere in the document.
func (m masker) byName(v any, key string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if k == "references" || k == "sensitive_values" || k == "before_sensitive" || k == "after_sensitive" || k == "after_unknown" {
				continue
			}
			if isSecretName(k) {
				t[k] = m.secretValue(x)
				continue
			}
			t[k] = m.byName(x, k)
		}
		return t
	case []any:
		for i := range t {
			t[i] = m.byName(t[i], key)
		}
		return t
	}
	return v
}

// secretValue masks the strings of a value held by a secret-named
// attribute: a string, a configuration expression's constant_value, or
// the strings of a list.
func (m masker) secretValue(v any) any {
	switch t := v.(type) {
	case string:
		if t == "" || IsMasked(t) || strings.HasPrefix(t, "arn:") {
			return t
		}
		m.sec.add(t)
		return Masked
	case []any:
		for i := range t {
			t[i] = m.secretValue(t[i])
		}
		return t
	case map[string]any:
		if cv, ok := t["constant_value"]; ok {
			t["constant_value"] = m.secretValue(cv)
		}
		return t
	}
	return v
}

func isSecretName(k string) bool {
	return secretKeyRe.MatchString(k) && !notSecretKeyRe.MatchString(k)
}

// scrubAll replaces known secrets and patterns in every string.
func (m masker) scrubAll(v any) any {
	return m.scrubIn(v, "")
}

func (m masker) scrubIn(v any, key string) any {
	switch t := v.(type) {
	case string:
		if noEntropyKeyRe.MatchString(key) {
			return m.scrubNoEntropy(t)
		}
		out := m.sec.scrubValue(t)
		return out
	case map[string]any:
		for k, x := range t {
			t[k] = m.scrubIn(x, k)
		}
		return t
	case []any:
		for i := range t {
			t[i] = m.scrubIn(t[i], key)
		}
		return t
	}
	return v
}

// scrubNoEntropy is scrubValue without the high-entropy rule, for values of
// hash- and id-named attributes.
func (m masker) scrubNoEntropy(v string) string {
	for _, sec := range m.sec.values {
		if v == sec {
			return Masked
		}
	}
	for _, sec := range m.sec.values {
		if len(sec) >= minSubstring {
			v = strings.ReplaceAll(v, sec, Masked)
		}
	}
	v = privateKeyRe.ReplaceAllString(v, maskedPattern("private key"))
	v = awsKeyIDRe.ReplaceAllString(v, maskedPattern("AWS access key"))
	v = tokenPrefixRe.ReplaceAllString(v, maskedPattern("token"))
	return urlPasswordRe.ReplaceAllString(v, "${1}"+maskedPattern("password")+"${3}")
}
