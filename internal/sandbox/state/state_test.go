package state_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type doc struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func open(t *testing.T, dir string) *state.Store {
	t.Helper()
	st, err := state.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestPutGetDeleteList(t *testing.T) {
	ctx := context.Background()
	st := open(t, t.TempDir())
	for _, k := range []string{"b/2", "a/1", "b/1", "c"} {
		if err := st.Put(ctx, "ns", k, doc{Name: k}); err != nil {
			t.Fatal(err)
		}
	}
	var got doc
	if err := st.Get(ctx, "ns", "b/1", &got); err != nil || got.Name != "b/1" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := st.Get(ctx, "other", "b/1", &got); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get in another namespace: err = %v, want ErrNotFound", err)
	}
	tests := []struct {
		name string
		p    state.ListParams
		want []string
	}{
		{"all in order", state.ListParams{NS: "ns"}, []string{"a/1", "b/1", "b/2", "c"}},
		{"prefix", state.ListParams{NS: "ns", Prefix: "b/"}, []string{"b/1", "b/2"}},
		{"after", state.ListParams{NS: "ns", After: "b/1"}, []string{"b/2", "c"}},
		{"limit", state.ListParams{NS: "ns", Limit: 2}, []string{"a/1", "b/1"}},
		{"prefix and after", state.ListParams{NS: "ns", Prefix: "b/", After: "b/1"}, []string{"b/2"}},
		{"prefix with LIKE metachar", state.ListParams{NS: "ns", Prefix: "b%"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := st.List(ctx, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range es {
				keys = append(keys, e.Key)
			}
			if strings.Join(keys, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("keys = %v, want %v", keys, tt.want)
			}
		})
	}
	if err := st.Delete(ctx, "ns", "c"); err != nil {
		t.Fatal(err)
	}
	if err := st.Get(ctx, "ns", "c", &got); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
	if err := st.Update(ctx, func(tx *state.Tx) error { return tx.DeletePrefix("ns", "b/") }); err != nil {
		t.Fatal(err)
	}
	es, _ := st.List(ctx, state.ListParams{NS: "ns"})
	if len(es) != 1 || es[0].Key != "a/1" {
		t.Fatalf("after DeletePrefix: %v", es)
	}
}

func TestUpdateIsAtomic(t *testing.T) {
	ctx := context.Background()
	st := open(t, t.TempDir())
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx *state.Tx) error {
		if err := tx.Put("ns", "x", doc{Name: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err = %v", err)
	}
	var got doc
	if err := st.Get(ctx, "ns", "x", &got); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a failed Update left a write behind: %+v, %v", got, err)
	}
}

func TestReopenKeepsWritesAndBlobs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "ns", "k", doc{Name: "k", Count: 7}); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("vigil"), 100_000)
	b, err := st.WriteBlob(bytes.NewReader(payload), -1)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size != int64(len(payload)) || len(b.MD5) != 32 || len(b.SHA256) != 64 {
		t.Fatalf("blob = %+v", b)
	}
	_ = st.Close()

	st2 := open(t, dir)
	var got doc
	if err := st2.Get(ctx, "ns", "k", &got); err != nil || got.Count != 7 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	f, err := st2.OpenBlob(b.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, _ := io.ReadAll(f)
	if !bytes.Equal(back, payload) {
		t.Fatal("blob content changed across reopen")
	}
	if err := st2.DeleteBlob(b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st2.OpenBlob(b.ID); err == nil {
		t.Fatal("deleted blob still opens")
	}
}

func TestWriteBlobLimit(t *testing.T) {
	st := open(t, t.TempDir())
	if _, err := st.WriteBlob(strings.NewReader("0123456789"), 9); !errors.Is(err, state.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := st.WriteBlob(strings.NewReader("0123456789"), 10); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
}
