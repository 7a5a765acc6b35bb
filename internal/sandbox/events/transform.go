package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// targetInput is what EventBridge sends a target for an event: the whole
// event by default, the constant Input, the part InputPath selects, or the
// InputTransformer's template filled from the event.
func targetInput(t *target, event []byte, ruleARN, ruleName string, ingestion time.Time) ([]byte, error) {
	switch {
	case t.Input != nil:
		return []byte(*t.Input), nil
	case t.InputPath != nil:
		v, ok, err := selectPath(event, *t.InputPath)
		if err != nil {
			return nil, err
		}
		if !ok {
			return []byte("null"), nil
		}
		return compact(v), nil
	case t.InputTransformer != nil:
		return transform(t.InputTransformer, event, ruleARN, ruleName, ingestion)
	}
	return event, nil
}

func compact(raw []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// selectPath evaluates the JSONPath subset EventBridge input paths use:
// $, then .name, ['name'] or ["name"], and [index] steps. It returns the
// selected JSON as written in the event (key order kept).
func selectPath(doc []byte, path string) (json.RawMessage, bool, error) {
	if !strings.HasPrefix(path, "$") {
		return nil, false, fmt.Errorf("input path %q must start with $", path)
	}
	cur := json.RawMessage(doc)
	p := path[1:]
	for p != "" {
		var key string
		idx := -1
		switch {
		case p[0] == '.':
			p = p[1:]
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			key, p = p[:end], p[end:]
			if key == "" {
				return nil, false, fmt.Errorf("input path %q has an empty step", path)
			}
		case strings.HasPrefix(p, "['") || strings.HasPrefix(p, `["`):
			q := p[1]
			end := strings.IndexByte(p[2:], q)
			if end < 0 || !strings.HasPrefix(p[2+end+1:], "]") {
				return nil, false, fmt.Errorf("input path %q has an unclosed bracket", path)
			}
			key, p = p[2:2+end], p[2+end+2:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, false, fmt.Errorf("input path %q has an unclosed bracket", path)
			}
			n, err := strconv.Atoi(p[1:end])
			if err != nil || n < 0 {
				return nil, false, fmt.Errorf("input path %q: only names and array indexes are supported", path)
			}
			idx, p = n, p[end+1:]
		default:
			return nil, false, fmt.Errorf("input path %q is not valid", path)
		}
		if idx >= 0 {
			var arr []json.RawMessage
			if json.Unmarshal(cur, &arr) != nil || idx >= len(arr) {
				return nil, false, nil
			}
			cur = arr[idx]
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(cur, &obj) != nil {
			return nil, false, nil
		}
		var ok bool
		if cur, ok = obj[key]; !ok {
			return nil, false, nil
		}
	}
	return cur, true, nil
}

// Predefined transformer variables.
const (
	varRuleARN   = "aws.events.rule-arn"
	varRuleName  = "aws.events.rule-name"
	varEvent     = "aws.events.event"
	varEventJSON = "aws.events.event.json"
	varIngestion = "aws.events.event.ingestion-time"
)

// transform fills an input template. A placeholder <name> inside a JSON
// string is replaced by the value's text (a string's characters, escaped;
// anything else its JSON, escaped); outside a string it is replaced by the
// value's JSON (a string with its quotes) in a JSON template, or by the
// value's text in a plain-text template. A path that selects nothing gives
// null (outside strings) or nothing (inside). Unknown <…> stay as written.
func transform(it *inputTransformer, event []byte, ruleARN, ruleName string, ingestion time.Time) ([]byte, error) {
	if !json.Valid(event) {
		return nil, errors.New("the event is not valid JSON")
	}
	vals := map[string]json.RawMessage{}
	present := map[string]bool{}
	for name, path := range it.InputPathsMap {
		v, ok, err := selectPath(event, path)
		if err != nil {
			return nil, err
		}
		vals[name], present[name] = compact(v), ok
	}
	vals[varRuleARN], present[varRuleARN] = marshal(ruleARN), true
	vals[varRuleName], present[varRuleName] = marshal(ruleName), true
	vals[varEvent], present[varEvent] = compact(event), true
	vals[varEventJSON], present[varEventJSON] = compact(event), true
	vals[varIngestion], present[varIngestion] = marshal(ingestion.UTC().Format("2006-01-02T15:04:05Z")), true

	tmpl := ""
	if it.InputTemplate != nil {
		tmpl = *it.InputTemplate
	}
	trimmed := strings.TrimSpace(tmpl)
	isJSON := strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, `"`)
	var out strings.Builder
	inString := false
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && inString && i+1 < len(tmpl):
			out.WriteByte(c)
			out.WriteByte(tmpl[i+1])
			i++
			continue
		case c == '"' && isJSON:
			inString = !inString
		case c == '<':
			end := strings.IndexByte(tmpl[i+1:], '>')
			if end >= 0 {
				name := tmpl[i+1 : i+1+end]
				if _, ok := vals[name]; ok {
					out.WriteString(render(vals[name], present[name], inString, isJSON))
					i += end + 1
					continue
				}
			}
		}
		out.WriteByte(c)
	}
	res := []byte(out.String())
	if isJSON && !json.Valid(res) {
		return nil, errors.New("the InputTransformer's output is not valid JSON: " + truncateText(string(res), 200))
	}
	return res, nil
}

func render(raw json.RawMessage, present, inString, isJSON bool) string {
	if !present {
		if inString || !isJSON {
			return ""
		}
		return "null"
	}
	var s string
	isStr := json.Unmarshal(raw, &s) == nil
	switch {
	case inString:
		text := s
		if !isStr {
			text = string(raw)
		}
		q := marshal(text)
		return string(q[1 : len(q)-1])
	case isJSON:
		return string(raw)
	case isStr:
		return s
	}
	return string(raw)
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
