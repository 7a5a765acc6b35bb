package state_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TestListPrefixBytes checks prefixes are matched byte for byte: non-ASCII
// prefixes, keys with NUL bytes (S3 uses key+"\x00"+suffix for versions)
// and prefixes ending in 0xff bytes.
func TestListPrefixBytes(t *testing.T) {
	st := open(t, t.TempDir())
	ctx := context.Background()
	keys := []string{"e/z", "k", "k\x00a", "k\x00b", "k\x01a", "ka", "é/x", "é/y", "éa", "\xff\xffa", "\xff\xff"}
	for _, k := range keys {
		if err := st.Put(ctx, "ns", k, doc{Name: k}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"k\x00", "", 0, []string{"k\x00a", "k\x00b"}},
		{"k\x00", "k\x00a", 0, []string{"k\x00b"}},
		{"k\x00", "", 1, []string{"k\x00a"}},
		{"k", "", 0, []string{"k", "k\x00a", "k\x00b", "k\x01a", "ka"}},
		{"é/", "", 0, []string{"é/x", "é/y"}},
		{"é", "", 0, []string{"é/x", "é/y", "éa"}},
		{"\xff\xff", "", 0, []string{"\xff\xff", "\xff\xffa"}},
		{"nothing", "", 0, nil},
	}
	for _, tt := range tests {
		ents, err := st.List(ctx, state.ListParams{NS: "ns", Prefix: tt.prefix, After: tt.after, Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range ents {
			got = append(got, e.Key)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("List(prefix %q, after %q) = %q, want %q", tt.prefix, tt.after, got, tt.want)
		}
	}
	if err := st.Update(ctx, func(tx *state.Tx) error { return tx.DeletePrefix("ns", "é") }); err != nil {
		t.Fatal(err)
	}
	ents, _ := st.List(ctx, state.ListParams{NS: "ns"})
	if len(ents) != len(keys)-3 {
		t.Errorf("DeletePrefix(é) left %d of %d keys", len(ents), len(keys))
	}
}
