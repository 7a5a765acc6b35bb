package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Policy is the `policy {}` block: how the policy gate (vigil scan, and the
// scan vigil plan runs) judges findings. Severities stay strings here; the
// policy package parses them.
type Policy struct {
	// FailOn is the lowest severity that fails the gate ("" = the policy
	// package's default, high).
	FailOn string
	// FailOnEnv overrides FailOn per environment.
	FailOnEnv map[string]string
	// Policies are folders of Rego policies, relative to the repository root.
	Policies []string
	// External names optional scanners to run when on PATH ("trivy", "tflint").
	External []string
	// Disable turns built-in rules off by id.
	Disable []string
	// Ignore suppresses findings, each with a reason.
	Ignore []PolicyIgnore
}

// PolicyIgnore is one `ignore "RULE" {}` block.
type PolicyIgnore struct {
	Rule      string
	Paths     []string
	Resources []string
	Reason    string
}

type policyBlock struct {
	FailOn       *string             `hcl:"fail_on,optional"`
	Policies     []string            `hcl:"policies,optional"`
	External     []string            `hcl:"external,optional"`
	Disable      []string            `hcl:"disable,optional"`
	Environments []policyEnvBlock    `hcl:"environment,block"`
	Ignores      []policyIgnoreBlock `hcl:"ignore,block"`
}

type policyEnvBlock struct {
	Name      string    `hcl:"name,label"`
	NameRange hcl.Range `hcl:"name,label_range"`
	FailOn    string    `hcl:"fail_on"`
}

type policyIgnoreBlock struct {
	Rule        string    `hcl:"rule,label"`
	RuleRange   hcl.Range `hcl:"rule,label_range"`
	Paths       []string  `hcl:"paths,optional"`
	Resources   []string  `hcl:"resources,optional"`
	Reason      string    `hcl:"reason,optional"`
	ReasonRange hcl.Range `hcl:"reason,attr_range"`
}

var severities = map[string]bool{"none": true, "low": true, "medium": true, "high": true, "critical": true}

// decodePolicy validates a policy block against the declared environments.
func decodePolicy(raw []policyBlock, envs []Environment) (Policy, hcl.Diagnostics) {
	var p Policy
	var diags hcl.Diagnostics
	errAt := func(rng hcl.Range, summary, detail string) {
		r := rng
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r})
	}
	if len(raw) == 0 {
		return p, nil
	}
	b := raw[0]
	if b.FailOn != nil {
		p.FailOn = *b.FailOn
		if !severities[p.FailOn] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid fail_on",
				Detail: fmt.Sprintf("fail_on is %q; use none, low, medium, high or critical.", p.FailOn)})
		}
	}
	p.Policies, p.External, p.Disable = b.Policies, b.External, b.Disable
	known := map[string]bool{}
	for _, e := range envs {
		known[e.Name] = true
	}
	for _, e := range b.Environments {
		if !known[e.Name] {
			errAt(e.NameRange, "Unknown environment", fmt.Sprintf("policy sets fail_on for %q, which no environment block declares.", e.Name))
		}
		if !severities[e.FailOn] {
			errAt(e.NameRange, "Invalid fail_on", fmt.Sprintf("fail_on for %q is %q; use none, low, medium, high or critical.", e.Name, e.FailOn))
		}
		if p.FailOnEnv == nil {
			p.FailOnEnv = map[string]string{}
		}
		p.FailOnEnv[e.Name] = e.FailOn
	}
	for _, ig := range b.Ignores {
		if ig.Reason == "" {
			errAt(ig.RuleRange, "Ignore without a reason", fmt.Sprintf("ignore %q needs reason = \"…\": say why the finding does not apply here.", ig.Rule))
		}
		p.Ignore = append(p.Ignore, PolicyIgnore{Rule: ig.Rule, Paths: ig.Paths, Resources: ig.Resources, Reason: ig.Reason})
	}
	return p, diags
}
