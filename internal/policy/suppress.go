package policy

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/vigil-sre/vigil/internal/policy/model"
	"github.com/vigil-sre/vigil/internal/policy/rules"
)

// inlineSuppression is one "vigil:ignore" comment.
type inlineSuppression struct {
	Range  Range // the comment
	Rules  []string
	Reason string
	// anchor is the line the suppression applies to; blockEnd is the last
	// line of the block starting there (0 when none starts there).
	anchor   int
	blockEnd int
}

var ignoreRe = regexp.MustCompile(`vigil:ignore\b(.*)`)

// ruleIDRe matches rule ids: upper-case with a dash (VGL-S001, TAG-001,
// VGL-R0*) or prefixed with a source (rego:tags.deny, trivy:AWS-0107).
var ruleIDRe = regexp.MustCompile(`^([A-Z][A-Z0-9]*-[A-Z0-9*][A-Z0-9_*-]*|[a-z]+:[^\s,]+)$`)

// parseIgnore splits "VGL-S001,VGL-S002 -- reason" into ids and reason.
func parseIgnore(text string) (ids []string, reason string) {
	rest := strings.TrimSpace(text)
	for rest != "" {
		tok := rest
		if i := strings.IndexAny(rest, " \t"); i >= 0 {
			tok = rest[:i]
		}
		parts := strings.Split(strings.Trim(tok, ","), ",")
		allIDs := len(parts) > 0
		for _, p := range parts {
			if !ruleIDRe.MatchString(p) {
				allIDs = false
			}
		}
		if !allIDs {
			break
		}
		ids = append(ids, parts...)
		rest = strings.TrimSpace(rest[len(tok):])
	}
	reason = strings.TrimSpace(strings.TrimLeft(rest, "-:—– "))
	reason = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(reason, "*/"), "-->"))
	return ids, reason
}

// hclSuppressions finds vigil:ignore comments in an HCL file.
func hclSuppressions(f *model.File) []*inlineSuppression {
	if !bytes.Contains(f.Src, []byte("vigil:ignore")) {
		return nil
	}
	toks, _ := hclsyntax.LexConfig(f.Src, f.Path, hcl.Pos{Line: 1, Column: 1})
	// Lines that start a block, with the block's last line.
	blocks := map[int]int{}
	if f.Body != nil {
		var walk func(b *hclsyntax.Body)
		walk = func(b *hclsyntax.Body) {
			for _, blk := range b.Blocks {
				r := blk.Range()
				if blocks[r.Start.Line] < r.End.Line {
					blocks[r.Start.Line] = r.End.Line
				}
				walk(blk.Body)
			}
		}
		walk(f.Body)
	}
	codeLines := map[int]bool{}
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenComment, hclsyntax.TokenNewline, hclsyntax.TokenEOF:
		default:
			codeLines[t.Range.Start.Line] = true
		}
	}
	lastLine := 0
	if len(toks) > 0 {
		lastLine = toks[len(toks)-1].Range.End.Line
	}
	var out []*inlineSuppression
	for _, t := range toks {
		if t.Type != hclsyntax.TokenComment {
			continue
		}
		m := ignoreRe.FindSubmatch(t.Bytes)
		if m == nil {
			continue
		}
		ids, reason := parseIgnore(string(m[1]))
		line := t.Range.Start.Line
		s := &inlineSuppression{Range: model.FromHCL(t.Range), Rules: ids, Reason: reason, anchor: line}
		s.Range.End = s.Range.Start
		if !codeLines[line] {
			// On a line of its own: it applies to the next line of code.
			for l := line + 1; l <= lastLine; l++ {
				if codeLines[l] {
					s.anchor = l
					break
				}
			}
		}
		s.blockEnd = blocks[s.anchor]
		out = append(out, s)
	}
	return out
}

var yamlIgnoreRe = regexp.MustCompile(`(?:^|\s)#\s*vigil:ignore\b(.*)$`)

// yamlSuppressions finds vigil:ignore comments in a YAML file.
func yamlSuppressions(path string, src []byte) []*inlineSuppression {
	if !bytes.Contains(src, []byte("vigil:ignore")) {
		return nil
	}
	lines := strings.Split(string(src), "\n")
	isCode := func(l string) bool {
		t := strings.TrimSpace(l)
		return t != "" && !strings.HasPrefix(t, "#")
	}
	var out []*inlineSuppression
	for i, l := range lines {
		loc := yamlIgnoreRe.FindStringSubmatchIndex(l)
		if loc == nil {
			continue
		}
		ids, reason := parseIgnore(l[loc[2]:loc[3]])
		line := i + 1
		col := strings.Index(l, "#") + 1
		s := &inlineSuppression{Range: Range{Filename: path, Start: finding.Pos{Line: line, Column: col}, End: finding.Pos{Line: line, Column: col}}, Rules: ids, Reason: reason, anchor: line}
		if !isCode(l) {
			for j := i + 1; j < len(lines); j++ {
				if isCode(lines[j]) {
					s.anchor = j + 1
					break
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func (s *inlineSuppression) covers(line int) bool {
	if line == s.anchor {
		return true
	}
	return s.blockEnd > 0 && line >= s.anchor && line <= s.blockEnd
}

func matchRule(pattern, id string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(id, p)
	}
	return pattern == id
}

// applySuppressions marks suppressed findings and returns the hygiene
// findings about the suppressions themselves.
func applySuppressions(fs []Finding, proj *model.Project, cfg Config, base string, known func(string) bool) []Finding {
	var hygiene []Finding
	byFile := map[string][]*inlineSuppression{}
	for path, f := range proj.Files {
		var sups []*inlineSuppression
		if ext := filepath.Ext(path); ext == ".yml" || ext == ".yaml" {
			sups = yamlSuppressions(path, f.Src)
		} else {
			sups = hclSuppressions(f)
		}
		for _, s := range sups {
			meta := func(id string) Rule { r, _ := rules.ByID(id); return r.Rule }
			switch {
			case len(s.Rules) == 0:
				r := meta(rules.IDSuppressionUnknownRule)
				hygiene = append(hygiene, Finding{RuleID: r.ID, Severity: r.Severity, Title: r.Title, Range: s.Range, Source: "hcl",
					Message: "vigil:ignore names no rule id; it suppresses nothing"})
				continue
			case s.Reason == "":
				r := meta(rules.IDSuppressionNoReason)
				hygiene = append(hygiene, Finding{RuleID: r.ID, Severity: r.Severity, Title: r.Title, Range: s.Range, Source: "hcl",
					Message: "vigil:ignore " + strings.Join(s.Rules, ",") + " has no reason, so it does not take effect"})
				continue
			}
			for _, id := range s.Rules {
				if !known(id) {
					r := meta(rules.IDSuppressionUnknownRule)
					hygiene = append(hygiene, Finding{RuleID: r.ID, Severity: r.Severity, Title: r.Title, Range: s.Range, Source: "hcl",
						Message: "vigil:ignore names " + id + ", which is not a rule"})
				}
			}
			byFile[path] = append(byFile[path], s)
		}
	}
	for i := range fs {
		f := &fs[i]
		for _, s := range byFile[f.Range.Filename] {
			if f.Range.Start.Line == 0 || !s.covers(f.Range.Start.Line) {
				continue
			}
			for _, id := range s.Rules {
				if matchRule(id, f.RuleID) {
					f.Suppressed = true
					f.SuppressedBy = fmt.Sprintf("%s:%d", relToBase(base, s.Range.Filename), s.Range.Start.Line)
					f.SuppressionReason = s.Reason
				}
			}
		}
		if f.Suppressed {
			continue
		}
		for _, ig := range cfg.Ignore {
			if !matchRule(ig.Rule, f.RuleID) || !ig.matchPath(f.Range.Filename, base) || !ig.matchResource(f.Resource) {
				continue
			}
			f.Suppressed = true
			f.SuppressedBy = "vigil.hcl"
			f.SuppressionReason = ig.Reason
			break
		}
	}
	return hygiene
}

func (ig Ignore) matchPath(file, base string) bool {
	if len(ig.Paths) == 0 {
		return true
	}
	rel := file
	if base != "" {
		if r, err := filepath.Rel(base, file); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
	}
	rel = filepath.ToSlash(rel)
	for _, p := range ig.Paths {
		if globMatch(p, rel) {
			return true
		}
	}
	return false
}

func (ig Ignore) matchResource(addr string) bool {
	if len(ig.Resources) == 0 {
		return true
	}
	for _, p := range ig.Resources {
		if globMatch(p, addr) {
			return true
		}
	}
	return false
}

// globMatch matches a glob where * stays within a path segment (or address
// part) and ** spans any number of them. A pattern naming a directory
// matches everything below it.
func globMatch(pattern, s string) bool {
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '*' && i+1 < len(pattern) && pattern[i+1] == '*':
			re.WriteString(".*")
			i++
			if i+1 < len(pattern) && pattern[i+1] == '/' {
				i++
				re.WriteString("/?")
			}
		case c == '*':
			re.WriteString(`[^/]*`)
		case c == '?':
			re.WriteString(`[^/]`)
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	re.WriteString("(/.*)?$")
	ok, _ := regexp.MatchString(re.String(), s)
	return ok
}
