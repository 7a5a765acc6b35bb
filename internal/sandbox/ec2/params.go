package ec2

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

// params reads an EC2-query form. EC2 flattens lists as Name.1, Name.2 and
// structures as Name.1.Member (no ".member." as in the plain query
// protocol).
type params struct{ url.Values }

func (p params) str(name string) string { return strings.TrimSpace(p.Get(name)) }

// has reports whether the parameter was sent at all.
func (p params) has(name string) bool {
	_, ok := p.Values[name]
	return ok
}

func (p params) required(name string) (string, error) {
	v := p.str(name)
	if v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

func (p params) optBool(name string) (*bool, error) {
	if !p.has(name) {
		return nil, nil
	}
	switch strings.ToLower(p.str(name)) {
	case "true":
		t := true
		return &t, nil
	case "false":
		f := false
		return &f, nil
	}
	return nil, errInvalidValue(name, p.str(name))
}

func (p params) optInt(name string) (*int, error) {
	if !p.has(name) || p.str(name) == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(p.str(name))
	if err != nil {
		return nil, errInvalidValue(name, p.str(name))
	}
	return &n, nil
}

// strs is a flattened scalar list: Name.1, Name.2, ….
func (p params) strs(name string) []string {
	var out []string
	for _, v := range protocol.QueryStrings(p.Values, name) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// list is a flattened list of structures: Name.1.A, Name.1.B, ….
func (p params) list(name string) []params {
	var out []params
	for _, m := range protocol.QueryList(p.Values, name) {
		out = append(out, params{m})
	}
	return out
}

// tagSpecs collects the tags of TagSpecification.N entries for
// resourceType. Specifications for another resource type are refused as
// EC2 refuses them.
func (p params) tagSpecs(resourceType string) (map[string]string, error) {
	tags := map[string]string{}
	for _, spec := range p.list("TagSpecification") {
		rt := spec.str("ResourceType")
		if rt == "" {
			return nil, errMissing("TagSpecification.ResourceType")
		}
		if rt != resourceType {
			return nil, protocol.Errorf(400, "InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		for _, t := range spec.list("Tag") {
			if err := putTag(tags, t.Get("Key"), t.Get("Value")); err != nil {
				return nil, err
			}
		}
	}
	if len(tags) > maxTags {
		return nil, errTagLimit()
	}
	return tags, nil
}

const maxTags = 50

func putTag(tags map[string]string, key, value string) error {
	if key == "" {
		return protocol.Errorf(400, "InvalidParameterValue", "Tag key cannot be empty")
	}
	if len(key) > 128 {
		return protocol.Errorf(400, "InvalidParameterValue", "Tag key exceeds the maximum length of 128 characters")
	}
	if len(value) > 256 {
		return protocol.Errorf(400, "InvalidParameterValue", "Tag value exceeds the maximum length of 256 characters")
	}
	if strings.HasPrefix(strings.ToLower(key), "aws:") {
		return protocol.Errorf(400, "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
	}
	tags[key] = value
	return nil
}
