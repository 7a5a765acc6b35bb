package external

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vigil-sre/vigil/internal/policy/finding"
)

// Runner runs a program in a directory and returns its standard output.
// A non-zero exit is not an error as long as output came back (tflint
// exits 2 when it finds issues).
type Runner func(ctx context.Context, dir, name string, args ...string) ([]byte, error)

// ErrNotInstalled is returned when the tool is not on PATH.
var ErrNotInstalled = errors.New("not installed")

// ExecRunner runs the program with os/exec.
func ExecRunner(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, ErrNotInstalled)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && stdout.Len() > 0) {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[len(msg)-500:]
		}
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}

// trivyToVigil maps trivy check ids to the built-in rule covering the same
// concern.
var trivyToVigil = map[string]string{
	"AWS-0107": "VGL-S001", "AWS-0026": "VGL-S010", "AWS-0027": "VGL-S010", "AWS-0131": "VGL-S010",
	"AWS-0080": "VGL-S011", "AWS-0079": "VGL-S011", "AWS-0088": "VGL-S012", "AWS-0132": "VGL-S012",
	"AWS-0095": "VGL-S013", "AWS-0136": "VGL-S013", "AWS-0096": "VGL-S014", "AWS-0135": "VGL-S014",
	"AWS-0025": "VGL-S015", "AWS-0023": "VGL-S015", "AWS-0017": "VGL-S016",
	"AWS-0057": "VGL-S020", "AWS-0092": "VGL-S030",
	"AWS-0086": "VGL-S031", "AWS-0087": "VGL-S031", "AWS-0091": "VGL-S031", "AWS-0093": "VGL-S031", "AWS-0094": "VGL-S031",
	"AWS-0082": "VGL-S040", "AWS-0065": "VGL-S050", "AWS-0178": "VGL-S060",
	"AWS-0024": "VGL-R040", "AWS-0077": "VGL-R040", "AWS-0177": "VGL-R042",
}

// VigilEquivalent returns the built-in rule id that covers the same concern
// as an external rule id ("trivy:AWS-0107" → "VGL-S001"), or "".
func VigilEquivalent(id string) string {
	if rest, ok := strings.CutPrefix(id, "trivy:"); ok {
		return trivyToVigil[strings.TrimPrefix(rest, "AVD-")]
	}
	return ""
}

func trivySeverity(s string) finding.Severity {
	switch strings.ToUpper(s) {
	case "CRITICAL":
		return finding.SeverityCritical
	case "HIGH":
		return finding.SeverityHigh
	case "MEDIUM":
		return finding.SeverityMedium
	}
	return finding.SeverityLow
}

type trivyReport struct {
	Results []struct {
		Target            string `json:"Target"`
		Misconfigurations []struct {
			ID            string `json:"ID"`
			AVDID         string `json:"AVDID"`
			Title         string `json:"Title"`
			Description   string `json:"Description"`
			Message       string `json:"Message"`
			Resolution    string `json:"Resolution"`
			Severity      string `json:"Severity"`
			PrimaryURL    string `json:"PrimaryURL"`
			Status        string `json:"Status"`
			CauseMetadata struct {
				Resource  string `json:"Resource"`
				StartLine int    `json:"StartLine"`
				EndLine   int    `json:"EndLine"`
			} `json:"CauseMetadata"`
		} `json:"Misconfigurations"`
	} `json:"Results"`
}

// ParseTrivy reads trivy config --format json output; targets are relative
// to base.
func ParseTrivy(data []byte, base string) ([]finding.Finding, []finding.Rule, error) {
	var rep trivyReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, nil, fmt.Errorf("reading trivy output: %w", err)
	}
	var fs []finding.Finding
	rules := map[string]finding.Rule{}
	var order []string
	for _, res := range rep.Results {
		for _, m := range res.Misconfigurations {
			if m.Status != "" && m.Status != "FAIL" {
				continue
			}
			id := strings.TrimPrefix(m.ID, "AVD-")
			if id == "" {
				id = strings.TrimPrefix(m.AVDID, "AVD-")
			}
			rid := "trivy:" + id
			sev := trivySeverity(m.Severity)
			if _, ok := rules[rid]; !ok {
				order = append(order, rid)
				rules[rid] = finding.Rule{ID: rid, Severity: sev, Group: finding.GroupExternal, Title: m.Title, Why: m.Description, Fix: m.Resolution, HelpURI: m.PrimaryURL}
			}
			msg := m.Message
			if m.CauseMetadata.Resource != "" {
				msg = m.CauseMetadata.Resource + ": " + msg
			}
			file := res.Target
			if base != "" && !filepath.IsAbs(file) {
				file = filepath.Join(base, file)
			}
			fs = append(fs, finding.Finding{
				RuleID: rid, Severity: sev, Title: m.Title, Message: msg, Source: "trivy",
				Resource: m.CauseMetadata.Resource,
				Range: finding.Range{
					Filename: file,
					Start:    finding.Pos{Line: m.CauseMetadata.StartLine, Column: 1},
					End:      finding.Pos{Line: m.CauseMetadata.EndLine, Column: 1},
				},
			})
		}
	}
	out := make([]finding.Rule, 0, len(order))
	for _, id := range order {
		out = append(out, rules[id])
	}
	return fs, out, nil
}

type tflintReport struct {
	Issues []struct {
		Rule struct {
			Name     string `json:"name"`
			Severity string `json:"severity"`
			Link     string `json:"link"`
		} `json:"rule"`
		Message string `json:"message"`
		Range   struct {
			Filename string `json:"filename"`
			Start    struct{ Line, Column int }
			End      struct{ Line, Column int }
		} `json:"range"`
	} `json:"issues"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

// ParseTFLint reads tflint --format json output; file names are relative to
// base.
func ParseTFLint(data []byte, base string) ([]finding.Finding, []finding.Rule, error) {
	var rep tflintReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, nil, fmt.Errorf("reading tflint output: %w", err)
	}
	var fs []finding.Finding
	rules := map[string]finding.Rule{}
	var order []string
	for _, is := range rep.Issues {
		rid := "tflint:" + is.Rule.Name
		sev := finding.SeverityLow
		switch strings.ToLower(is.Rule.Severity) {
		case "error":
			sev = finding.SeverityHigh
		case "warning":
			sev = finding.SeverityMedium
		}
		if _, ok := rules[rid]; !ok {
			order = append(order, rid)
			rules[rid] = finding.Rule{ID: rid, Severity: sev, Group: finding.GroupExternal, Title: strings.ReplaceAll(is.Rule.Name, "_", " "), HelpURI: is.Rule.Link}
		}
		file := is.Range.Filename
		if base != "" && !filepath.IsAbs(file) {
			file = filepath.Join(base, file)
		}
		fs = append(fs, finding.Finding{
			RuleID: rid, Severity: sev, Title: rules[rid].Title, Message: is.Message, Source: "tflint",
			Range: finding.Range{
				Filename: file,
				Start:    finding.Pos{Line: is.Range.Start.Line, Column: is.Range.Start.Column},
				End:      finding.Pos{Line: is.Range.End.Line, Column: is.Range.End.Column},
			},
		})
	}
	var err error
	if len(rep.Errors) > 0 {
		err = fmt.Errorf("tflint: %s", rep.Errors[0].Message)
	}
	out := make([]finding.Rule, 0, len(order))
	for _, id := range order {
		out = append(out, rules[id])
	}
	return fs, out, err
}

// Trivy runs trivy config on each path and parses its findings.
func Trivy(ctx context.Context, run Runner, paths []string) ([]finding.Finding, []finding.Rule, error) {
	var fs []finding.Finding
	var rules []finding.Rule
	for _, p := range paths {
		out, err := run(ctx, ".", "trivy", "config", "--format", "json", "--quiet",
			"--skip-check-update", "--skip-version-check", "--disable-telemetry", p)
		if err != nil {
			return fs, rules, err
		}
		f, r, err := ParseTrivy(out, p)
		if err != nil {
			return fs, rules, err
		}
		fs, rules = append(fs, f...), append(rules, r...)
	}
	return fs, rules, nil
}

// TFLint runs tflint (core ruleset) recursively under each path.
func TFLint(ctx context.Context, run Runner, paths []string) ([]finding.Finding, []finding.Rule, error) {
	var fs []finding.Finding
	var rules []finding.Rule
	for _, p := range paths {
		out, err := run(ctx, p, "tflint", "--recursive", "--format", "json", "--force")
		if err != nil {
			return fs, rules, err
		}
		f, r, err := ParseTFLint(out, p)
		fs, rules = append(fs, f...), append(rules, r...)
		if err != nil {
			return fs, rules, err
		}
	}
	return fs, rules, nil
}
