package policy

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
)

// SARIF 2.1.0, the subset vigil writes. Field names follow the spec.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                   `json:"tool"`
	Results            []sarifResult               `json:"results"`
	Invocations        []sarifInvocation           `json:"invocations"`
	OriginalURIBaseIDs map[string]sarifArtifactLoc `json:"originalUriBaseIds,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	SemanticVer    string      `json:"semanticVersion,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	Help                 *sarifText     `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	Suppressions        []sarifSuppress   `json:"suppressions,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifSuppress struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityCritical, SeverityHigh:
		return "error"
	case SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning ranks by.
func securitySeverity(s Severity) string {
	switch s {
	case SeverityCritical:
		return "9.5"
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.5"
	}
	return "2.0"
}

// WriteSARIF writes the report as SARIF 2.1.0: every built-in rule with its
// metadata (plus every Rego and external rule a result uses), results with
// file/line regions relative to the report's base directory (%SRCROOT%),
// suppressed results with their justification, and unscannable inputs as
// tool execution notifications.
func WriteSARIF(w io.Writer, r *Report) error {
	ids := make([]string, 0, len(r.Rules))
	for id := range r.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	index := map[string]int{}
	driver := sarifDriver{Name: "vigil", InformationURI: "https://github.com/vigil-sre/vigil"}
	for _, id := range ids {
		rule := r.Rules[id]
		index[id] = len(driver.Rules)
		sr := sarifRule{
			ID: id, Name: ruleName(rule.Title),
			ShortDescription:     sarifText{Text: rule.Title},
			HelpURI:              rule.HelpURI,
			DefaultConfiguration: sarifConfig{Level: sarifLevel(rule.Severity)},
			Properties: map[string]any{
				"tags":              tags(rule),
				"security-severity": securitySeverity(rule.Severity),
				"severity":          rule.Severity.String(),
				"precision":         "high",
			},
		}
		if rule.Why != "" {
			sr.FullDescription = &sarifText{Text: rule.Why}
		}
		if rule.Fix != "" || rule.Why != "" {
			md := "**Why:** " + rule.Why + "\n\n**Fix:** " + rule.Fix
			sr.Help = &sarifText{Text: strings.TrimSpace(rule.Why + " Fix: " + rule.Fix), Markdown: md}
		}
		driver.Rules = append(driver.Rules, sr)
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	base := r.BaseDir
	if base != "" {
		if abs, err := filepath.Abs(base); err == nil {
			u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs) + "/"}
			run.OriginalURIBaseIDs = map[string]sarifArtifactLoc{"%SRCROOT%": {URI: u.String()}}
		}
	}
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID: f.RuleID, RuleIndex: index[f.RuleID], Level: sarifLevel(f.Severity),
			Message:    sarifText{Text: f.Message},
			Locations:  []sarifLocation{location(base, f.Range)},
			Properties: map[string]any{"severity": f.Severity.String(), "source": f.Source},
		}
		if f.Resource != "" {
			res.Properties["resource"] = f.Resource
			res.PartialFingerprints = map[string]string{"vigilResource/v1": f.RuleID + "|" + f.Resource}
		}
		if f.Suppressed {
			kind := "inSource"
			if f.SuppressedBy == "vigil.hcl" {
				kind = "external"
			}
			res.Suppressions = []sarifSuppress{{Kind: kind, Justification: f.SuppressionReason}}
		}
		run.Results = append(run.Results, res)
	}
	inv := sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, err := range r.Errors {
		n := sarifNotification{Level: "error", Message: sarifText{Text: err.Error()}}
		var p positioned
		if asPositioned(err, &p) {
			file, line, col := p.Where()
			if file != "" {
				n.Locations = []sarifLocation{location(base, Range{Filename: file, Start: posOf(line, col)})}
			}
		}
		inv.Notifications = append(inv.Notifications, n)
	}
	run.Invocations = []sarifInvocation{inv}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func location(base string, rg Range) sarifLocation {
	// Report file names are relative to the base directory when inside it.
	var uri, baseID string
	if rg.Filename != "" && !filepath.IsAbs(rg.Filename) && !strings.HasPrefix(filepath.ToSlash(rg.Filename), "../") {
		uri, baseID = (&url.URL{Path: filepath.ToSlash(rg.Filename)}).String(), "%SRCROOT%"
	} else {
		abs, err := filepath.Abs(filepath.Join(base, rg.Filename))
		if filepath.IsAbs(rg.Filename) {
			abs, err = rg.Filename, nil
		}
		if err != nil {
			abs = rg.Filename
		}
		uri = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}
	loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifactLoc{URI: uri, URIBaseID: baseID}}}
	if rg.Start.Line > 0 {
		reg := &sarifRegion{StartLine: rg.Start.Line, StartColumn: rg.Start.Column}
		if rg.End.Line >= rg.Start.Line && rg.End.Line > 0 {
			reg.EndLine = rg.End.Line
			if rg.End.Column > 0 && (rg.End.Line > rg.Start.Line || rg.End.Column > rg.Start.Column) {
				reg.EndColumn = rg.End.Column
			}
		}
		if reg.StartColumn < 1 {
			reg.StartColumn = 0
		}
		loc.PhysicalLocation.Region = reg
	}
	return loc
}

func tags(r Rule) []string {
	return append([]string{string(r.Group), "terraform"}, r.Requirements...)
}

// ruleName makes a PascalCase name from a title ("S3 bucket is public" →
// "S3BucketIsPublic").
func ruleName(title string) string {
	var sb strings.Builder
	up := true
	for _, c := range title {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			if up && c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			sb.WriteRune(c)
			up = false
		default:
			up = true
		}
	}
	return sb.String()
}
