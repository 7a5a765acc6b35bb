package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

const (
	nsFault    = "chaos/fault"     // <sequence, 19 digits>-<id> → Fault (in the order added)
	nsFaultSeq = "chaos/fault-seq" // "seq" → last sequence number
)

// KeepEnded is how long an ended fault stays listed.
const KeepEnded = time.Hour

// ErrNotFound is returned for a fault ID that does not exist.
var ErrNotFound = errors.New("chaos: no such fault")

// Store keeps the faults in the sandbox's state.
type Store struct {
	st *state.Store
}

// NewStore returns the faults kept in st.
func NewStore(st *state.Store) *Store { return &Store{st: st} }

func newID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "fault-" + hex.EncodeToString(b)
}

// Add stores a validated and scheduled fault, giving it an ID.
func (s *Store) Add(ctx context.Context, f *Fault) error {
	f.ID = newID()
	// Keys sort in the order faults were added: a sequence number kept in
	// the same transaction (wall-clock nanoseconds can tie or step back).
	return s.st.Update(ctx, func(tx *state.Tx) error {
		var seq int64
		if err := tx.Get(nsFaultSeq, "seq", &seq); err != nil && !errors.Is(err, state.ErrNotFound) {
			return err
		}
		seq++
		if err := tx.Put(nsFaultSeq, "seq", seq); err != nil {
			return err
		}
		return tx.Put(nsFault, fmt.Sprintf("%019d-%s", seq, f.ID), f)
	})
}

// List returns the faults, oldest first, forgetting those ended more than
// KeepEnded before now.
func (s *Store) List(ctx context.Context, now time.Time) ([]Fault, error) {
	var out []Fault
	err := s.st.View(ctx, func(tx *state.Tx) error {
		var err error
		out, err = List(tx, now)
		return err
	})
	return out, err
}

// List reads the faults inside a transaction (ended ones older than
// KeepEnded left out), in the order they were added.
func List(tx *state.Tx, now time.Time) ([]Fault, error) {
	keyed, err := list(tx, now)
	out := make([]Fault, 0, len(keyed))
	for _, k := range keyed {
		out = append(out, k.f)
	}
	return out, err
}

type keyedFault struct {
	key string
	f   Fault
}

func list(tx *state.Tx, now time.Time) ([]keyedFault, error) {
	ents, err := tx.List(state.ListParams{NS: nsFault})
	if err != nil {
		return nil, err
	}
	var out []keyedFault
	for _, e := range ents {
		var f Fault
		if err := json.Unmarshal(e.Value, &f); err != nil {
			return nil, fmt.Errorf("chaos: read fault %s: %w", e.Key, err)
		}
		if f.End != nil && now.Sub(*f.End) > KeepEnded {
			continue
		}
		out = append(out, keyedFault{e.Key, f})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

// Clear ends one fault now (id) or every fault not yet ended (id "");
// it returns the faults it ended.
func (s *Store) Clear(ctx context.Context, id string, now time.Time) ([]Fault, error) {
	var cleared []Fault
	err := s.st.Update(ctx, func(tx *state.Tx) error {
		all, err := list(tx, now)
		if err != nil {
			return err
		}
		found := false
		for i := range all {
			f := &all[i].f
			if id != "" && f.ID != id {
				continue
			}
			found = true
			if f.Status(now) == "ended" {
				continue
			}
			end := now.UTC()
			if f.Start.After(end) {
				f.Start = end // a scheduled fault never starts
			}
			f.End = &end
			if err := tx.Put(nsFault, all[i].key, f); err != nil {
				return err
			}
			cleared = append(cleared, *f)
		}
		if id != "" && !found {
			return ErrNotFound
		}
		return nil
	})
	return cleared, err
}

// Active returns the faults in effect at now.
func Active(faults []Fault, now time.Time) []Fault {
	var out []Fault
	for _, f := range faults {
		if f.ActiveAt(now) {
			out = append(out, f)
		}
	}
	return out
}
