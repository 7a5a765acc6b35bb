package pattern_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/events/pattern"
)

// FuzzEventPattern compiles random patterns and matches them against random
// events: no panic, no hang; a pattern either compiles or fails with a
// *pattern.Error; a compiled pattern matches deterministically.
func FuzzEventPattern(f *testing.F) {
	seeds := [][2]string{
		{blueprintPattern, alarmEvent},
		{`{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, ec2Event},
		{`{"$or":[{"a":["x"]},{"b":[{"exists":false}]}]}`, `{"a":"y"}`},
		{`{"a":[{"wildcard":"x*\\*y*z"}]}`, `{"a":["x*yz","q"]}`},
		{`{"a":[{"anything-but":{"equals-ignore-case":["A","b"]}}]}`, `{"a":[[["B"]]]}`},
		{`{"ip":[{"cidr":"::ffff:10.0.0.0/104"}]}`, `{"ip":"10.0.0.1"}`},
		{`{"a":[1e400]}`, `{"a":1e400}`},
		{`{"a":{"b":{"c":[null,true,false,"",0]}}}`, `{"a":[{"b":[{"c":null}]}]}`},
		{`{`, `}`},
		{`{"a":[{"numeric":["=",-5e9]}]}`, `{"a":-5000000000}`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, event string) {
		p, err := pattern.Compile([]byte(pat))
		if err != nil {
			var pe *pattern.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%q) = %v, want a *pattern.Error", pat, err)
			}
			return
		}
		if !json.Valid([]byte(pat)) {
			t.Fatalf("Compile accepted invalid JSON %q", pat)
		}
		got1, err1 := p.MatchJSON([]byte(event))
		got2, err2 := p.MatchJSON([]byte(event))
		if got1 != got2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("nondeterministic match of %q against %q", pat, event)
		}
	})
}
