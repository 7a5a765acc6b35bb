package ec2

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
)

// filter is one Filter.N of a Describe* call: the item matches when any of
// its values for Name matches any of Values (wildcards * and ?). Filters
// are ANDed.
type filter struct {
	name   string
	values []string
}

// filters reads Filter.N.Name / Filter.N.Value.M.
func (p params) filters() ([]filter, error) {
	var out []filter
	for _, f := range p.list("Filter") {
		name := f.str("Name")
		if name == "" {
			return nil, errMissing("Filter.Name")
		}
		out = append(out, filter{name: name, values: filterValues(f, "Value")})
	}
	return out, nil
}

// filterValues keeps empty values (a filter may match an empty string).
func filterValues(p params, name string) []string {
	var out []string
	for _, m := range p.list(name) {
		out = append(out, m.Get(""))
	}
	return out
}

// fields are the filterable attributes of one item, by filter name.
type fields map[string][]string

func (f fields) set(name string, values ...string) {
	for _, v := range values {
		if v != "" {
			f[name] = append(f[name], v)
		}
	}
}

func (f fields) setBool(name string, v bool) { f[name] = []string{strconv.FormatBool(v)} }

func (f fields) tags(tags map[string]string) {
	for k, v := range tags {
		f["tag:"+k] = []string{v}
		f["tag-key"] = append(f["tag-key"], k)
		f["tag-value"] = append(f["tag-value"], v)
	}
}

// checkFilters refuses filter names the resource does not support, as EC2
// does, instead of silently ignoring them.
func checkFilters(fs []filter, known ...string) error {
	ok := map[string]bool{"tag-key": true, "tag-value": true}
	for _, k := range known {
		ok[k] = true
	}
	for _, f := range fs {
		if strings.HasPrefix(f.name, "tag:") && len(f.name) > 4 {
			continue
		}
		if !ok[f.name] {
			return errInvalidParam("The filter '%s' is invalid", f.name)
		}
	}
	return nil
}

// matches reports whether an item with these fields passes every filter.
func (f fields) matches(fs []filter) bool {
	for _, flt := range fs {
		hit := false
		for _, have := range f[flt.name] {
			for _, want := range flt.values {
				if wildcard(want, have) {
					hit = true
					break
				}
			}
			if hit {
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// wildcard matches s against an EC2 filter pattern: * is any run of
// characters, ? any one, and \ escapes the next character.
func wildcard(pattern, s string) bool {
	p := []rune(pattern)
	r := []rune(s)
	// Iterative matcher with backtracking on the last star.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(r) {
		if pi < len(p) {
			c := p[pi]
			if c == '\\' && pi+1 < len(p) {
				if p[pi+1] == r[si] {
					pi += 2
					si++
					continue
				}
			} else if c == '*' {
				starP, starS = pi, si
				pi++
				continue
			} else if c == '?' || c == r[si] {
				pi++
				si++
				continue
			}
		}
		if starP >= 0 {
			pi = starP + 1
			starS++
			si = starS
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// page applies MaxResults/NextToken to items already sorted by id.
func page[T any](p params, items []T, id func(T) string, minResults, maxResults int) ([]T, string, error) {
	sort.SliceStable(items, func(i, j int) bool { return id(items[i]) < id(items[j]) })
	if tok := p.str("NextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) == 0 {
			return nil, "", errf("InvalidNextToken", "The token '%s' is invalid", tok)
		}
		after := string(raw)
		i := sort.Search(len(items), func(i int) bool { return id(items[i]) > after })
		items = items[i:]
	}
	limit, err := p.optInt("MaxResults")
	if err != nil {
		return nil, "", err
	}
	if limit == nil {
		return items, "", nil
	}
	if *limit < minResults || *limit > maxResults {
		return nil, "", errf("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Parameter must be between %d and %d.", *limit, minResults, maxResults)
	}
	if len(items) <= *limit {
		return items, "", nil
	}
	items = items[:*limit]
	return items, base64.RawURLEncoding.EncodeToString([]byte(id(items[len(items)-1]))), nil
}
