package events

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/events/pattern"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Limits of PutEvents.
const (
	maxEntries    = 10
	maxEventsSize = 256 * 1024
	// keepEvents is how many accepted events each bus keeps; older ones
	// are dropped as new ones arrive.
	keepEvents = 10000
)

// Entry is one event to put on a bus.
type Entry struct {
	Source       string    `json:"Source"`
	DetailType   string    `json:"DetailType"`
	Detail       string    `json:"Detail"`
	Resources    []string  `json:"Resources"`
	Time         time.Time `json:"-"`
	EventBusName string    `json:"EventBusName"`
	TraceHeader  string    `json:"TraceHeader"`
}

// Record is an event the sandbox accepted: the event as EventBridge hands
// it to targets, and the rules that matched it (whose targets it is
// delivered to: delivery.go).
type Record struct {
	ID           string          `json:"id"`
	Region       string          `json:"region"`
	EventBusName string          `json:"bus"`
	Event        json.RawMessage `json:"event"`
	MatchedRules []string        `json:"matched_rules"` // rule ARNs
	Received     time.Time       `json:"received"`
}

// envelope is the event as targets receive it.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func eventKey(region, bus string, seq int64) string {
	return rulePrefix(region, bus) + fmt.Sprintf("%020d", seq)
}

// entryError is why one PutEvents entry was refused.
type entryError struct {
	code, message string
}

// checkEntry validates an entry as PutEvents does (except for the
// reserved "aws." sources, which the caller checks).
func checkEntry(e *Entry) *entryError {
	switch {
	case e.Source == "":
		return &entryError{"InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."}
	case e.DetailType == "":
		return &entryError{"InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."}
	case e.Detail == "":
		return &entryError{"InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.Detail), &obj); err != nil || obj == nil {
		return &entryError{"MalformedDetail", "Detail is malformed."}
	}
	for _, r := range e.Resources {
		if r == "" || len(r) > 2048 {
			return &entryError{"InvalidArgument", "Parameter Resources is not valid. Reason: a resource must be 1 to 2048 characters."}
		}
	}
	return nil
}

// put records one validated entry on an existing bus in tx and matches it
// against the bus's enabled rules.
func put(tx *state.Tx, accountID, region, bus string, e *Entry, now time.Time) (Record, error) {
	t := e.Time
	if t.IsZero() {
		t = now
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	var detail bytes.Buffer
	if err := json.Compact(&detail, []byte(e.Detail)); err != nil {
		return Record{}, err
	}
	env := envelope{Version: "0", ID: newEventID(), DetailType: e.DetailType, Source: e.Source, Account: accountID,
		Time: t.UTC().Format("2006-01-02T15:04:05Z"), Region: region, Resources: resources, Detail: detail.Bytes()}
	raw, err := json.Marshal(env)
	if err != nil {
		return Record{}, err
	}
	rec := Record{ID: env.ID, Region: region, EventBusName: bus, Event: raw, MatchedRules: []string{}, Received: now}
	rules, err := rulesOf(tx, region, bus)
	if err != nil {
		return Record{}, err
	}
	for _, r := range rules {
		if r.EventPattern == "" || !r.enabled() {
			continue
		}
		p, err := pattern.Compile([]byte(r.EventPattern))
		if err != nil {
			continue // stored patterns were validated; never fail an event on one
		}
		if ok, _ := p.MatchJSON(raw); ok {
			rec.MatchedRules = append(rec.MatchedRules, r.Arn)
			if err := enqueueTargets(tx, r, rec, now); err != nil {
				return Record{}, err
			}
		}
	}
	var seq int64
	if err := tx.Get(nsSeq, busKey(region, bus), &seq); err != nil && !service.IsNotFound(err) {
		return Record{}, err
	}
	seq++
	if err := tx.Put(nsSeq, busKey(region, bus), seq); err != nil {
		return Record{}, err
	}
	if err := tx.Put(nsEvent, eventKey(region, bus, seq), rec); err != nil {
		return Record{}, err
	}
	if seq > keepEvents {
		if err := tx.Delete(nsEvent, eventKey(region, bus, seq-keepEvents)); err != nil {
			return Record{}, err
		}
	}
	return rec, nil
}

type putEventsEntry struct {
	Entry
	Time *float64 `json:"Time"`
}

type putEventsResultEntry struct {
	EventId      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

func (s *Service) putEvents(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		Entries    []putEventsEntry `json:"Entries"`
		EndpointId string           `json:"EndpointId"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if len(req.Entries) < 1 || len(req.Entries) > maxEntries {
		return nil, errValidation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and %d", maxEntries)
	}
	if req.EndpointId != "" {
		return nil, errValidation("The vigil sandbox does not serve global endpoints (EndpointId %s).", req.EndpointId)
	}
	size := 0
	for _, e := range req.Entries {
		size += len(e.Source) + len(e.DetailType) + len(e.Detail) + 14
		for _, res := range e.Resources {
			size += len(res)
		}
	}
	if size > maxEventsSize {
		return nil, errValidation("Total size of the entries in the request is over the limit.")
	}
	region := s.env.RegionOf(r)
	results := make([]putEventsResultEntry, len(req.Entries))
	failed := 0
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		failed = 0
		for i := range req.Entries {
			e := req.Entries[i].Entry
			if t := req.Entries[i].Time; t != nil {
				e.Time = time.UnixMilli(int64(*t * 1000)).UTC()
			}
			res, err := s.putOne(tx, region, &e)
			if err != nil {
				return err
			}
			results[i] = res
			if res.ErrorCode != "" {
				failed++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	return map[string]any{"FailedEntryCount": failed, "Entries": results}, nil
}

func (s *Service) putOne(tx *state.Tx, region string, e *Entry) (putEventsResultEntry, error) {
	if ee := checkEntry(e); ee != nil {
		return putEventsResultEntry{ErrorCode: ee.code, ErrorMessage: ee.message}, nil
	}
	if strings.HasPrefix(e.Source, "aws.") {
		return putEventsResultEntry{ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source."}, nil
	}
	bus, err := s.busName(e.EventBusName)
	if err != nil {
		return putEventsResultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter EventBusName is not valid."}, nil
	}
	ok, err := busExists(tx, region, bus)
	if err != nil {
		return putEventsResultEntry{}, err
	}
	if !ok {
		return putEventsResultEntry{ErrorCode: codeNotFound, ErrorMessage: "Event bus " + bus + " does not exist."}, nil
	}
	rec, err := put(tx, s.env.AccountID, region, bus, e, s.now())
	if err != nil {
		return putEventsResultEntry{}, err
	}
	return putEventsResultEntry{EventId: rec.ID}, nil
}

// Emit puts an event on a bus on behalf of an AWS service (the sandbox's
// own services, or tests): like PutEvents, but "aws." sources are allowed,
// as they are for events AWS itself emits. It returns the record with the
// rules that matched.
func Emit(ctx context.Context, env service.Env, region string, e Entry) (Record, error) {
	if ee := checkEntry(&e); ee != nil {
		return Record{}, fmt.Errorf("events: emit: %s: %s", ee.code, ee.message)
	}
	bus := e.EventBusName
	if bus == "" {
		bus = DefaultBus
	}
	var rec Record
	err := env.State.Update(ctx, func(tx *state.Tx) error {
		ok, err := busExists(tx, region, bus)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("events: emit: event bus %s does not exist in %s", bus, region)
		}
		rec, err = put(tx, env.AccountID, region, bus, &e, env.Now().UTC())
		return err
	})
	return rec, err
}

// Events lists the events a bus accepted, oldest first (at most the last
// 10,000).
func Events(ctx context.Context, st *state.Store, region, bus string) ([]Record, error) {
	if bus == "" {
		bus = DefaultBus
	}
	ents, err := st.List(ctx, state.ListParams{NS: nsEvent, Prefix: rulePrefix(region, bus)})
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(ents))
	for _, e := range ents {
		if _, err := strconv.ParseUint(e.Key[len(rulePrefix(region, bus)):], 10, 64); err != nil {
			continue // an event of a bus whose name extends this one
		}
		var r Record
		if err := json.Unmarshal(e.Value, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
