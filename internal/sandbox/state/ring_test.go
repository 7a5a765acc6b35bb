package state_test

import (
	"context"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

func TestRingKeepsTheNewestEntriesInOrder(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := state.Ring{NS: "test/log", Keep: 3}
	for i := 1; i <= 5; i++ {
		if err := st.Update(ctx, func(tx *state.Tx) error { return r.Append(tx, i) }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := state.RingList[int](ctx, st, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != 3 || got[1] != 4 || got[2] != 5 {
		t.Fatalf("ring holds %v, want [3 4 5]", got)
	}
	// A second ring in another namespace is independent.
	other := state.Ring{NS: "test/other", Keep: 10}
	if err := st.Update(ctx, func(tx *state.Tx) error { return other.Append(tx, 42) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := state.RingList[int](ctx, st, other); len(got) != 1 || got[0] != 42 {
		t.Fatalf("other ring holds %v, want [42]", got)
	}
}
