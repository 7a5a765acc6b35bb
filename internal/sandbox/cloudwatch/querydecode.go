package cloudwatch

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

// The query protocol flattens an input structure into form keys:
//
//	AlarmName=x
//	Metrics.member.1.MetricStat.Metric.Dimensions.member.2.Name=LoadBalancer
//	Attributes.entry.1.key=k & Attributes.entry.1.value=v
//
// decodeQuery fills a Go struct whose field names are the member names
// from such a form. It first builds a tree of the keys (one pass over the
// form) and then walks the struct, so a PutMetricData of 1000 data with 150
// values each costs one pass, not one scan per field.

type qnode struct {
	value    *string
	children map[string]*qnode
}

func buildQueryTree(form url.Values) *qnode {
	root := &qnode{}
	for k, vs := range form {
		if len(vs) == 0 {
			continue
		}
		n := root
		for _, part := range strings.Split(k, ".") {
			if n.children == nil {
				n.children = map[string]*qnode{}
			}
			c := n.children[part]
			if c == nil {
				c = &qnode{}
				n.children[part] = c
			}
			n = c
		}
		v := vs[0]
		n.value = &v
	}
	return root
}

// decodeQuery fills v (a pointer to struct) from form.
func decodeQuery(form url.Values, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decodeQuery: %T is not a pointer to a struct", v)
	}
	return decodeStruct(buildQueryTree(form), rv.Elem(), "")
}

var timeType = reflect.TypeFor[time.Time]()

func decodeStruct(n *qnode, v reflect.Value, path string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag := f.Tag.Get("query"); tag != "" {
			if tag == "-" {
				continue
			}
			name = tag
		}
		c := n.children[name]
		if c == nil {
			continue
		}
		if err := decodeValue(c, v.Field(i), join(path, name)); err != nil {
			return err
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func decodeValue(n *qnode, v reflect.Value, path string) error {
	if v.Kind() == reflect.Pointer {
		// An empty value for a structure or list pointer means "absent".
		elem := reflect.New(v.Type().Elem())
		if err := decodeValue(n, elem.Elem(), path); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	}
	if v.Type() == timeType {
		s := scalar(n)
		tm, err := parseQueryTime(s)
		if err != nil {
			return invalidQueryValue(path, s, "a timestamp")
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(scalar(n))
	case reflect.Bool:
		s := scalar(n)
		b, err := strconv.ParseBool(s)
		if err != nil {
			return invalidQueryValue(path, s, "a boolean")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		s := scalar(n)
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return invalidQueryValue(path, s, "an integer")
		}
		v.SetInt(i)
	case reflect.Float64:
		s := scalar(n)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return invalidQueryValue(path, s, "a number")
		}
		v.SetFloat(f)
	case reflect.Struct:
		return decodeStruct(n, v, path)
	case reflect.Slice:
		members := n.children["member"]
		items := indexed(members)
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, item := range items {
			if err := decodeValue(item, s.Index(i), path+".member."+strconv.Itoa(i+1)); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("decodeQuery: unsupported map key at %s", path)
		}
		m := reflect.MakeMap(v.Type())
		for _, e := range indexed(n.children["entry"]) {
			k := e.children["key"]
			if k == nil || k.value == nil {
				continue
			}
			val := reflect.New(v.Type().Elem()).Elem()
			if vn := e.children["value"]; vn != nil {
				if err := decodeValue(vn, val, path+".entry.value"); err != nil {
					return err
				}
			}
			m.SetMapIndex(reflect.ValueOf(*k.value), val)
		}
		v.Set(m)
	default:
		return fmt.Errorf("decodeQuery: unsupported field kind %s at %s", v.Kind(), path)
	}
	return nil
}

func scalar(n *qnode) string {
	if n.value == nil {
		return ""
	}
	return *n.value
}

// indexed returns the children of a list node in numeric index order,
// ignoring keys that are not positive integers.
func indexed(n *qnode) []*qnode {
	if n == nil {
		return nil
	}
	type kv struct {
		i int
		n *qnode
	}
	var out []kv
	for k, c := range n.children {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 {
			continue
		}
		out = append(out, kv{i, c})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].i < out[b].i })
	nodes := make([]*qnode, len(out))
	for i, e := range out {
		nodes[i] = e.n
	}
	return nodes
}

func parseQueryTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

func invalidQueryValue(path, value, want string) error {
	return protocol.Errorf(http.StatusBadRequest, codeInvalidParameterValue,
		"The value %q for parameter %s is invalid: expected %s.", value, path, want)
}
