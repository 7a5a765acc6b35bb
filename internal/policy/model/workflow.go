package model

import (
	"os"
	"regexp"
	"strconv"

	"github.com/vigil-sre/vigil/internal/policy/finding"
	"gopkg.in/yaml.v3"
)

// Workflow is a GitHub Actions workflow file, reduced to what the rules
// read: environment variables at every level, and steps with their inputs.
type Workflow struct {
	Path string
	Src  []byte
	// Env lists every env entry: workflow, job and step level.
	Env   []EnvVar
	Steps []*Step
}

// Scalar is a YAML scalar with its position.
type Scalar struct {
	Value string
	Range Range
}

// EnvVar is one entry of an env mapping.
type EnvVar struct {
	Name  string
	Value Scalar
	// Scope is "workflow", "job <id>" or "step <job>/<n>".
	Scope string
}

// Step is one job step.
type Step struct {
	Job  string
	Name string
	Uses string
	With map[string]Scalar
	// Range is the step's first line.
	Range Range
}

func (p *Project) loadWorkflow(path string, inWorkflowDir bool) {
	src, err := os.ReadFile(path)
	if err != nil {
		p.diag(Range{Filename: path}, "cannot read file", err.Error())
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		if inWorkflowDir {
			r := Range{Filename: path}
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				r.Start.Line, _ = strconv.Atoi(m[1])
				r.Start.Column = 1
			}
			p.diag(r, "workflow does not parse", err.Error())
		}
		return
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return
	}
	top := doc.Content[0]
	jobs := mapGet(top, "jobs")
	if !inWorkflowDir && (jobs == nil || (mapGet(top, "on") == nil && mapGet(top, "true") == nil)) {
		return // some other YAML file
	}
	w := &Workflow{Path: path, Src: src}
	p.Files[path] = &File{Path: path, Src: src}
	w.Env = append(w.Env, envVars(path, mapGet(top, "env"), "workflow")...)
	if jobs != nil && jobs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(jobs.Content); i += 2 {
			jobID := jobs.Content[i].Value
			job := jobs.Content[i+1]
			if job.Kind != yaml.MappingNode {
				continue
			}
			w.Env = append(w.Env, envVars(path, mapGet(job, "env"), "job "+jobID)...)
			steps := mapGet(job, "steps")
			if steps == nil || steps.Kind != yaml.SequenceNode {
				continue
			}
			for n, sn := range steps.Content {
				if sn.Kind != yaml.MappingNode {
					continue
				}
				st := &Step{Job: jobID, With: map[string]Scalar{}, Range: nodeRange(path, sn)}
				if v := mapGet(sn, "name"); v != nil {
					st.Name = v.Value
				}
				if v := mapGet(sn, "uses"); v != nil {
					st.Uses = v.Value
				}
				if with := mapGet(sn, "with"); with != nil && with.Kind == yaml.MappingNode {
					for k := 0; k+1 < len(with.Content); k += 2 {
						st.With[with.Content[k].Value] = Scalar{Value: with.Content[k+1].Value, Range: nodeRange(path, with.Content[k])}
					}
				}
				w.Env = append(w.Env, envVars(path, mapGet(sn, "env"), "step "+jobID+"/"+strconv.Itoa(n+1))...)
				w.Steps = append(w.Steps, st)
			}
		}
	}
	p.Workflows = append(p.Workflows, w)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func envVars(path string, n *yaml.Node, scope string) []EnvVar {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []EnvVar
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		out = append(out, EnvVar{Name: k.Value, Value: Scalar{Value: v.Value, Range: nodeRange(path, k)}, Scope: scope})
	}
	return out
}

func nodeRange(path string, n *yaml.Node) Range {
	return Range{
		Filename: path,
		Start:    finding.Pos{Line: n.Line, Column: n.Column},
		End:      finding.Pos{Line: n.Line, Column: n.Column + len(n.Value)},
	}
}
