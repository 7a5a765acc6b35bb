package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Ring is a bounded log kept in the store: entries in the namespace NS
// under zero-padded sequence numbers, the last sequence number in NS+"#seq",
// and only the newest Keep entries kept. Services use it for outcome logs
// (deliveries, invocations) that must survive a restart but not grow
// without end.
type Ring struct {
	NS   string
	Keep int64
}

// Append adds v (marshalled as JSON) in the caller's transaction, dropping
// the entry that falls out of the window.
func (r Ring) Append(tx *Tx, v any) error {
	seqNS := r.NS + "#seq"
	var seq int64
	if err := tx.Get(seqNS, "seq", &seq); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	seq++
	if err := tx.Put(seqNS, "seq", seq); err != nil {
		return err
	}
	if r.Keep > 0 && seq > r.Keep {
		if err := tx.Delete(r.NS, ringKey(seq-r.Keep)); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return tx.Put(r.NS, ringKey(seq), v)
}

// RingList returns a ring's entries, oldest first.
func RingList[T any](ctx context.Context, st *Store, r Ring) ([]T, error) {
	es, err := st.List(ctx, ListParams{NS: r.NS})
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(es))
	for _, e := range es {
		var v T
		if err := json.Unmarshal(e.Value, &v); err != nil {
			return nil, fmt.Errorf("state: %s entry %s: %w", r.NS, e.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func ringKey(seq int64) string { return fmt.Sprintf("%020d", seq) }
