package iam

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

// maxTags is how many tags one IAM entity may carry.
const maxTags = 50

// Tag is one key/value tag, as stored and as marshalled.
type Tag struct {
	Key   string `xml:"Key" json:"key"`
	Value string `xml:"Value" json:"value"`
}

func unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// readTags reads Tags.member.N.Key/Value, validating each tag and refusing
// duplicate keys (IAM tag keys are case-insensitive).
func readTags(form url.Values) ([]Tag, error) {
	var out []Tag
	seen := map[string]bool{}
	for _, m := range protocol.QueryList(form, "Tags.member") {
		t := Tag{Key: m.Get("Key"), Value: m.Get("Value")}
		if _, ok := m["Key"]; !ok {
			return nil, errValidation("1 validation error detected: Value null at 'tags.member.key' failed to satisfy constraint: Member must not be null")
		}
		if _, ok := m["Value"]; !ok {
			return nil, errValidation("1 validation error detected: Value null at 'tags.member.value' failed to satisfy constraint: Member must not be null")
		}
		if err := validTag(t); err != nil {
			return nil, err
		}
		if seen[strings.ToLower(t.Key)] {
			return nil, errInvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
		out = append(out, t)
	}
	if len(out) > maxTags {
		return nil, errLimitExceeded("The number of tags has reached the maximum limit.")
	}
	return out, nil
}

func validTag(t Tag) error {
	if err := checkLen(t.Key, "tags.member.key", 1, 128); err != nil {
		return err
	}
	if err := checkLen(t.Value, "tags.member.value", 0, 256); err != nil {
		return err
	}
	if !tagChars(t.Key) {
		return constraint(t.Key, "tags.member.key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
	}
	if !tagChars(t.Value) {
		return constraint(t.Value, "tags.member.value", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
	}
	if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
		return errInvalidInput("User-defined tags cannot begin with the reserved prefix aws:.")
	}
	return nil
}

func tagChars(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("_.:/=+-@ ", c):
		case c > 127: // letters, digits and spaces of other scripts
		default:
			return false
		}
	}
	return true
}

// readTagKeys reads TagKeys.member.N.
func readTagKeys(form url.Values) ([]string, error) {
	keys := protocol.QueryStrings(form, "TagKeys.member")
	if len(keys) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	}
	if len(keys) > maxTags {
		return nil, constraint(strings.Join(keys, ","), "tagKeys", "Member must have length less than or equal to 50")
	}
	for _, k := range keys {
		if err := checkLen(k, "tagKeys", 1, 128); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// mergeTags applies add to have: a key present in both (ignoring case)
// takes the new value. More than maxTags in the result is LimitExceeded.
func mergeTags(have, add []Tag) ([]Tag, error) {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, errLimitExceeded("The number of tags has reached the maximum limit.")
	}
	sortTags(out)
	return out, nil
}

// removeTags drops the keys (ignoring case); missing keys are not an error.
func removeTags(have []Tag, keys []string) []Tag {
	var out []Tag
	for _, t := range have {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

func sortTags(t []Tag) {
	sort.SliceStable(t, func(i, j int) bool { return t[i].Key < t[j].Key })
}

// tagsPage is the answer of the List*Tags operations.
type tagsPage struct {
	Tags list[Tag] `xml:"Tags"`
	page
}

func listTagsPage(tags []Tag, form url.Values) (any, error) {
	p, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	items, pg := paginate(tags, func(t Tag) string { return t.Key }, p)
	return tagsPage{Tags: list[Tag](items), page: pg}, nil
}

// optTags is how Get* answers carry tags: absent when there are none.
func optTags(t []Tag) list[Tag] {
	if len(t) == 0 {
		return nil
	}
	return list[Tag](t)
}
