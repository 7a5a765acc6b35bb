package ec2

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// newID returns an id in EC2's current shape: prefix, dash, 17 hex digits
// (vpc-0a1b2c3d4e5f67890).
func newID(prefix string) string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])[:17]
}

// validID reports whether id is prefix-<8 or 17 lower-case hex digits>.
func validID(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"-")
	if !ok || (len(rest) != 8 && len(rest) != 17) {
		return false
	}
	for _, c := range rest {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// key is the state key of a regional resource.
func key(region, id string) string { return region + "/" + id }

// get reads the document of id, or reports found=false.
func get[T any](tx *state.Tx, k kind, region, id string) (*T, bool, error) {
	var v T
	err := tx.Get(k.ns, key(region, id), &v)
	if errors.Is(err, state.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &v, true, nil
}

// mustGet reads the document of id, answering EC2's NotFound (or Malformed)
// error for that kind when it does not exist.
func mustGet[T any](tx *state.Tx, k kind, region, id string) (*T, error) {
	if !validID(k.prefix, id) {
		return nil, k.errMalformed(id)
	}
	v, ok, err := get[T](tx, k, region, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, k.errNotFound(id)
	}
	return v, nil
}

func put(tx *state.Tx, k kind, region, id string, v any) error {
	return tx.Put(k.ns, key(region, id), v)
}

// del removes a resource and its tags.
func del(tx *state.Tx, k kind, region, id string) error {
	if err := tx.Delete(k.ns, key(region, id)); err != nil {
		return err
	}
	return tx.Delete(nsTags, key(region, id))
}

// all lists every document of a kind in a region, in id order.
func all[T any](tx *state.Tx, k kind, region string) ([]*T, error) {
	entries, err := tx.List(state.ListParams{NS: k.ns, Prefix: region + "/"})
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(entries))
	for _, e := range entries {
		var v T
		if err := json.Unmarshal(e.Value, &v); err != nil {
			return nil, fmt.Errorf("ec2: decode %s %s: %w", k.ns, e.Key, err)
		}
		out = append(out, &v)
	}
	return out, nil
}

// byIDs selects the documents with the given ids (all when ids is empty),
// answering the kind's NotFound error for the first missing one, as EC2's
// Describe* calls do.
func byIDs[T any](tx *state.Tx, k kind, region string, ids []string) ([]*T, error) {
	if len(ids) == 0 {
		return all[T](tx, k, region)
	}
	seen := map[string]bool{}
	var out []*T
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		v, err := mustGet[T](tx, k, region, id)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isNotFound(err error) bool { return errors.Is(err, state.ErrNotFound) }
