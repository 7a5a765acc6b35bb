package policy

import (
	"encoding/json"
	"errors"
	"io"
	"sort"
)

// jsonReport is the --format json document (version 1).
type jsonReport struct {
	Version   int         `json:"version"`
	Env       string      `json:"env,omitempty"`
	Threshold string      `json:"fail_on"`
	Failed    bool        `json:"failed"`
	Summary   jsonSummary `json:"summary"`
	Findings  []Finding   `json:"findings"`
	Errors    []jsonError `json:"errors"`
	Notes     []string    `json:"notes,omitempty"`
	Rules     []Rule      `json:"rules"`
	Stats     Stats       `json:"stats"`
}

type jsonSummary struct {
	Total      int            `json:"total"`
	Failing    int            `json:"failing"`
	Suppressed int            `json:"suppressed"`
	BySeverity map[string]int `json:"by_severity"`
}

type jsonError struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// WriteJSON writes the report as one JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	by, suppressed := r.Counts()
	doc := jsonReport{
		Version: 1, Env: r.Env, Threshold: r.Threshold.String(),
		Failed:   len(r.Failing()) > 0 || len(r.Errors) > 0,
		Findings: r.Findings, Errors: []jsonError{}, Notes: r.Notes, Stats: r.Stats,
		Summary: jsonSummary{Failing: len(r.Failing()), Suppressed: suppressed, BySeverity: map[string]int{}},
	}
	if doc.Findings == nil {
		doc.Findings = []Finding{}
	}
	for s, n := range by {
		doc.Summary.BySeverity[s.String()] = n
		doc.Summary.Total += n
	}
	for _, err := range r.Errors {
		doc.Errors = append(doc.Errors, toJSONError(err))
	}
	for _, id := range usedRuleIDs(r) {
		doc.Rules = append(doc.Rules, r.Rules[id])
	}
	if doc.Rules == nil {
		doc.Rules = []Rule{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// positioned is an error that knows where it happened.
type positioned interface {
	error
	Where() (file string, line, col int)
}

func toJSONError(err error) jsonError {
	var p positioned
	if errors.As(err, &p) {
		f, l, c := p.Where()
		return jsonError{File: f, Line: l, Column: c, Message: err.Error()}
	}
	return jsonError{Message: err.Error()}
}

// usedRuleIDs lists the ids of rules some finding refers to, sorted.
func usedRuleIDs(r *Report) []string {
	seen := map[string]bool{}
	var ids []string
	for _, f := range r.Findings {
		if !seen[f.RuleID] {
			if _, ok := r.Rules[f.RuleID]; ok {
				seen[f.RuleID] = true
				ids = append(ids, f.RuleID)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

func asPositioned(err error, p *positioned) bool { return errors.As(err, p) }
