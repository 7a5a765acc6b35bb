package drift

import (
	"regexp"
	"strings"

	"github.com/vigil-sre/vigil/internal/config"
)

// Match reports whether a glob of an ignore rule matches s: '*' matches
// any run of characters (dots and brackets included), '?' exactly one;
// everything else matches itself.
func Match(pattern, s string) bool {
	return globRegexp(pattern).MatchString(s)
}

func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// addressMatches: the pattern matches the whole address, or, when it does
// not start with "module.", the address inside its module (so
// "aws_ecs_service.*" also matches module.app.aws_ecs_service.this). For
// an unmanaged resource, the ARN, the id or the type may match.
func addressMatches(pattern string, f *Finding) bool {
	if Match(pattern, f.Address) {
		return true
	}
	if !strings.HasPrefix(pattern, "module.") {
		if local := localAddress(f.Address); local != f.Address && Match(pattern, local) {
			return true
		}
	}
	if f.Kind == KindUnmanaged {
		return (f.ID != "" && Match(pattern, f.ID)) || Match(pattern, f.Type)
	}
	return false
}

// localAddress strips the module path of a resource address.
func localAddress(addr string) string {
	rest := addr
	for strings.HasPrefix(rest, "module.") {
		// module.NAME or module.NAME[KEY], then "."
		i := len("module.")
		depth := 0
		for ; i < len(rest); i++ {
			c := rest[i]
			if c == '[' {
				depth++
			} else if c == ']' {
				depth--
			} else if c == '"' {
				for i++; i < len(rest) && rest[i] != '"'; i++ {
					if rest[i] == '\\' {
						i++
					}
				}
			} else if c == '.' && depth == 0 {
				break
			}
		}
		if i >= len(rest) {
			return addr
		}
		rest = rest[i+1:]
	}
	return rest
}

// attributeMatches: the pattern matches the path or one of its parents
// ("tags" matches tags["team"], "ingress" matches ingress[0].from_port).
func attributeMatches(pattern, path string) bool {
	if Match(pattern, path) {
		return true
	}
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '.' || path[i] == '[' {
			if Match(pattern, path[:i]) {
				return true
			}
		}
	}
	return false
}

// applyIgnores marks the findings that a rule matches, first rule first.
// A rule with an attribute matches changed findings by attribute; on a
// pending update it removes the matching attributes, and ignores the
// finding when none is left. Deleted and unmanaged findings are matched
// by rules without an attribute only.
func applyIgnores(fs []Finding, rules []config.DriftIgnore) {
	for i := range fs {
		f := &fs[i]
		for _, r := range rules {
			if r.Kind != "" && r.Kind != f.Kind {
				continue
			}
			if !addressMatches(r.Address, f) {
				continue
			}
			if r.Attribute != "" {
				switch f.Kind {
				case KindChanged:
					if !attributeMatches(r.Attribute, f.Attribute) {
						continue
					}
				case KindPending:
					var kept []Attr
					for _, a := range f.Attrs {
						if !attributeMatches(r.Attribute, a.Path) {
							kept = append(kept, a)
						}
					}
					if len(kept) == len(f.Attrs) || len(kept) > 0 {
						f.Attrs = kept
						continue
					}
				default:
					continue
				}
			}
			f.Ignored = &Ignored{Reason: r.Reason, Rule: ruleString(r), Scope: scopeName(r.Scope)}
			break
		}
	}
}

func ruleString(r config.DriftIgnore) string {
	s := r.Address
	if r.Attribute != "" {
		s += " " + r.Attribute
	}
	if r.Kind != "" {
		s += " (" + r.Kind + ")"
	}
	return s
}

func scopeName(s string) string {
	if s == "" {
		return "global"
	}
	return s
}
