package logs

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// streamDoc is a stored log stream.
type streamDoc struct {
	Name                string `json:"name"`
	CreationTime        int64  `json:"creation_time"`
	FirstEventTimestamp *int64 `json:"first_event,omitempty"`
	LastEventTimestamp  *int64 `json:"last_event,omitempty"`
	LastIngestionTime   *int64 `json:"last_ingestion,omitempty"`
	StoredBytes         int64  `json:"stored_bytes"`
	Seq                 int64  `json:"seq"` // last event sequence number
}

// eventDoc is one stored log event.
type eventDoc struct {
	T int64  `json:"t"` // timestamp, ms
	M string `json:"m"`
	I int64  `json:"i"` // ingestion time, ms
}

// Event keys sort by (timestamp, sequence): both fixed-width decimal.
func streamKey(region, group, stream string) string {
	return groupScope(region, group) + url.PathEscape(stream)
}

func eventPrefix(region, group, stream string) string { return streamKey(region, group, stream) + "/" }

func eventPos(ts, seq int64) string { return fmt.Sprintf("%020d%020d", ts+1<<62, seq) }

func parsePos(p string) (ts, seq int64, ok bool) {
	if len(p) != 40 {
		return 0, 0, false
	}
	a, err1 := strconv.ParseInt(p[:20], 10, 64)
	b, err2 := strconv.ParseInt(p[20:], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return a - 1<<62, b, true
}

func validStreamName(name string) error {
	if name == "" || len(name) > 512 || strings.ContainsAny(name, ":*") {
		return errInvalid("1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]* and be 1 to 512 characters long", name)
	}
	return nil
}

// LogStream is the API shape of a log stream.
type LogStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

type streamInput struct {
	LogGroupName       string `json:"logGroupName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	LogStreamName      string `json:"logStreamName"`
}

func (in streamInput) group() string {
	return groupNameInput{LogGroupName: in.LogGroupName, LogGroupIdentifier: in.LogGroupIdentifier}.name()
}

func (s *Service) createLogStream(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in streamInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.group()); err != nil {
		return nil, err
	}
	if err := validStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, in.group())); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		key := streamKey(region, in.group(), in.LogStreamName)
		if ok, err := tx.Exists(nsStream, key); err != nil || ok {
			if err == nil {
				err = protocol.Errorf(http.StatusBadRequest, codeAlreadyExists, "The specified log stream already exists")
			}
			return err
		}
		return tx.Put(nsStream, key, streamDoc{Name: in.LogStreamName, CreationTime: s.env.Now().UnixMilli()})
	})
	return struct{}{}, err
}

func (s *Service) deleteLogStream(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in streamInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.group()); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, in.group())); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		key := streamKey(region, in.group(), in.LogStreamName)
		if ok, err := tx.Exists(nsStream, key); err != nil || !ok {
			if err == nil {
				err = errStreamNotFound()
			}
			return err
		}
		if err := tx.DeletePrefix(nsEvent, key+"/"); err != nil {
			return err
		}
		return tx.Delete(nsStream, key)
	})
	return struct{}{}, err
}

// DescribeLogStreamsInput is the input of DescribeLogStreams.
type DescribeLogStreamsInput struct {
	LogGroupName        string  `json:"logGroupName"`
	LogGroupIdentifier  string  `json:"logGroupIdentifier"`
	LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
	OrderBy             string  `json:"orderBy"`
	Descending          bool    `json:"descending"`
	Limit               *int32  `json:"limit"`
	NextToken           *string `json:"nextToken"`
}

func (s *Service) describeLogStreams(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in DescribeLogStreamsInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	group := groupNameInput{LogGroupName: in.LogGroupName, LogGroupIdentifier: in.LogGroupIdentifier}.name()
	if err := validGroupName(group); err != nil {
		return nil, err
	}
	switch in.OrderBy {
	case "", "LogStreamName":
	case "LastEventTime":
		if in.LogStreamNamePrefix != nil {
			return nil, errInvalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, errInvalid("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", in.OrderBy)
	}
	limit, err := pageLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	skip := 0
	if in.NextToken != nil {
		n, err := strconv.Atoi(strings.TrimPrefix(*in.NextToken, "s/"))
		if err != nil || n < 0 || !strings.HasPrefix(*in.NextToken, "s/") {
			return nil, errInvalid("The specified nextToken is invalid.")
		}
		skip = n
	}
	region := s.env.RegionOf(r)
	var streams []streamDoc
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, group)); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		prefix := groupScope(region, group) + url.PathEscape(deref(in.LogStreamNamePrefix))
		entries, err := tx.List(state.ListParams{NS: nsStream, Prefix: prefix})
		if err != nil {
			return err
		}
		for _, e := range entries {
			var d streamDoc
			if err := json.Unmarshal(e.Value, &d); err != nil {
				return err
			}
			streams = append(streams, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(streams, func(i, j int) bool {
		a, b := streams[i], streams[j]
		if in.OrderBy == "LastEventTime" {
			ta, tb := deref(a.LastEventTimestamp), deref(b.LastEventTimestamp)
			if ta != tb {
				return ta < tb != in.Descending
			}
		}
		return a.Name < b.Name != in.Descending
	})
	type result struct {
		LogStreams []LogStream `json:"logStreams"`
		NextToken  *string     `json:"nextToken,omitempty"`
	}
	out := result{LogStreams: []LogStream{}}
	if skip > len(streams) {
		skip = len(streams)
	}
	streams = streams[skip:]
	if len(streams) > limit {
		out.NextToken = ptr(fmt.Sprintf("s/%d", skip+limit))
		streams = streams[:limit]
	}
	for _, d := range streams {
		out.LogStreams = append(out.LogStreams, LogStream{
			LogStreamName: d.Name, CreationTime: d.CreationTime, FirstEventTimestamp: d.FirstEventTimestamp,
			LastEventTimestamp: d.LastEventTimestamp, LastIngestionTime: d.LastIngestionTime,
			UploadSequenceToken: sequenceToken(d.Seq), StoredBytes: d.StoredBytes,
			Arn: s.groupARN(region, group) + ":log-stream:" + d.Name,
		})
	}
	return out, nil
}

func sequenceToken(seq int64) string { return fmt.Sprintf("%056d", seq) }

// InputLogEvent is one event of PutLogEvents.
type InputLogEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

// PutLogEventsInput is the input of PutLogEvents.
type PutLogEventsInput struct {
	LogGroupName  string          `json:"logGroupName"`
	LogStreamName string          `json:"logStreamName"`
	LogEvents     []InputLogEvent `json:"logEvents"`
	SequenceToken *string         `json:"sequenceToken"`
}

// RejectedLogEventsInfo says which events PutLogEvents did not store.
type RejectedLogEventsInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

const (
	maxBatchBytes  = 1_048_576
	maxEventBytes  = 1_048_576
	eventOverhead  = 26
	maxBatchEvents = 10_000
)

func (s *Service) putLogEvents(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in PutLogEventsInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	if err := validStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	n := len(in.LogEvents)
	if n == 0 {
		return nil, errInvalid("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if n > maxBatchEvents {
		return nil, errInvalid("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", maxBatchEvents)
	}
	size := 0
	for i, e := range in.LogEvents {
		if e.Timestamp == nil || e.Message == nil {
			return nil, errInvalid("Log event %d needs a timestamp and a message.", i)
		}
		if *e.Message == "" {
			return nil, errInvalid("1 validation error detected: Value '' at 'logEvents.%d.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		}
		if !utf8.ValidString(*e.Message) {
			return nil, errInvalid("Log event %d is not valid UTF-8.", i)
		}
		es := len(*e.Message) + eventOverhead
		if es > maxEventBytes {
			return nil, errInvalid("Log event too large: %d bytes exceeds limit of %d", es, maxEventBytes)
		}
		size += es
		if i > 0 && *e.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, errInvalid("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if size > maxBatchBytes {
		return nil, errInvalid("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	if *in.LogEvents[n-1].Timestamp-*in.LogEvents[0].Timestamp > int64(24*time.Hour/time.Millisecond) {
		return nil, errInvalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	region := s.env.RegionOf(r)
	now := s.env.Now()
	nowMs := now.UnixMilli()
	type result struct {
		NextSequenceToken     string                 `json:"nextSequenceToken"`
		RejectedLogEventsInfo *RejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
	}
	var out result
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		var g groupDoc
		if err := tx.Get(nsGroup, groupKey(region, in.LogGroupName), &g); err != nil {
			if service.IsNotFound(err) {
				return errGroupNotFound()
			}
			return err
		}
		key := streamKey(region, in.LogGroupName, in.LogStreamName)
		var st streamDoc
		if err := tx.Get(nsStream, key, &st); err != nil {
			if service.IsNotFound(err) {
				return errStreamNotFound()
			}
			return err
		}
		// Events are chronological, so the rejected ones are a prefix
		// (too old, expired) and a suffix (too new).
		tooOld := nowMs - int64(14*24*time.Hour/time.Millisecond)
		expired := int64(-1 << 62)
		if g.RetentionInDays != nil {
			expired = nowMs - int64(*g.RetentionInDays)*int64(24*time.Hour/time.Millisecond)
		}
		tooNew := nowMs + int64(2*time.Hour/time.Millisecond)
		first, last := 0, n // accepted: [first, last)
		info := &RejectedLogEventsInfo{}
		for i, e := range in.LogEvents {
			ts := *e.Timestamp
			switch {
			case ts < expired && ts >= tooOld:
				info.ExpiredLogEventEndIndex = ptr(i)
				first = i + 1
			case ts < tooOld:
				info.TooOldLogEventEndIndex = ptr(i)
				if ts < expired {
					info.ExpiredLogEventEndIndex = ptr(i)
				}
				first = i + 1
			}
		}
		for i := n - 1; i >= first; i-- {
			if *in.LogEvents[i].Timestamp > tooNew {
				info.TooNewLogEventStartIndex = ptr(i)
				last = i
			}
		}
		if *info != (RejectedLogEventsInfo{}) {
			out.RejectedLogEventsInfo = info
		}
		accepted := in.LogEvents[first:last]
		prefix := eventPrefix(region, in.LogGroupName, in.LogStreamName)
		for _, e := range accepted {
			st.Seq++
			if err := tx.Put(nsEvent, prefix+eventPos(*e.Timestamp, st.Seq), eventDoc{T: *e.Timestamp, M: *e.Message, I: nowMs}); err != nil {
				return err
			}
			st.StoredBytes += int64(len(*e.Message))
			if st.FirstEventTimestamp == nil || *e.Timestamp < *st.FirstEventTimestamp {
				st.FirstEventTimestamp = ptr(*e.Timestamp)
			}
			if st.LastEventTimestamp == nil || *e.Timestamp > *st.LastEventTimestamp {
				st.LastEventTimestamp = ptr(*e.Timestamp)
			}
		}
		if len(accepted) > 0 {
			st.LastIngestionTime = ptr(nowMs)
		}
		out.NextSequenceToken = sequenceToken(st.Seq)
		if err := tx.Put(nsStream, key, st); err != nil {
			return err
		}
		return s.applyMetricFilters(tx, region, in.LogGroupName, accepted)
	})
	return out, err
}

// OutputLogEvent is one event of GetLogEvents.
type OutputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// GetLogEventsInput is the input of GetLogEvents.
type GetLogEventsInput struct {
	LogGroupName       string  `json:"logGroupName"`
	LogGroupIdentifier string  `json:"logGroupIdentifier"`
	LogStreamName      string  `json:"logStreamName"`
	StartTime          *int64  `json:"startTime"`
	EndTime            *int64  `json:"endTime"`
	NextToken          *string `json:"nextToken"`
	Limit              *int32  `json:"limit"`
	StartFromHead      *bool   `json:"startFromHead"`
	Unmask             bool    `json:"unmask"`
}

type storedEvent struct {
	pos string
	eventDoc
}

// loadEvents reads a stream's events with key position in (afterPos,
// beforePos) and timestamp in [start, end).
func loadEvents(tx *state.Tx, prefix, afterPos, beforePos string, start, end *int64) ([]storedEvent, error) {
	after := prefix
	if afterPos != "" {
		after = prefix + afterPos
	}
	var out []storedEvent
	for {
		entries, err := tx.List(state.ListParams{NS: nsEvent, Prefix: prefix, After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			pos := strings.TrimPrefix(e.Key, prefix)
			if beforePos != "" && pos >= beforePos {
				return out, nil
			}
			var d eventDoc
			if err := json.Unmarshal(e.Value, &d); err != nil {
				return nil, err
			}
			if start != nil && d.T < *start {
				continue
			}
			if end != nil && d.T >= *end {
				return out, nil
			}
			out = append(out, storedEvent{pos, d})
		}
		if len(entries) < 1000 {
			return out, nil
		}
		after = entries[len(entries)-1].Key
	}
}

func (s *Service) getLogEvents(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in GetLogEventsInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	group := groupNameInput{LogGroupName: in.LogGroupName, LogGroupIdentifier: in.LogGroupIdentifier}.name()
	if err := validGroupName(group); err != nil {
		return nil, err
	}
	if err := validStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	limit, err := pageLimit(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	// Tokens: f/<pos> = events after pos, b/<pos> = events before pos.
	forward := in.StartFromHead != nil && *in.StartFromHead
	var tokenPos string
	if in.NextToken != nil {
		dir, pos, ok := strings.Cut(*in.NextToken, "/")
		if _, _, valid := parsePos(pos); !ok || !valid || (dir != "f" && dir != "b") {
			return nil, errInvalid("The specified nextToken is invalid.")
		}
		forward, tokenPos = dir == "f", pos
	}
	region := s.env.RegionOf(r)
	var events []storedEvent
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, group)); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		if ok, err := tx.Exists(nsStream, streamKey(region, group, in.LogStreamName)); err != nil || !ok {
			if err == nil {
				err = errStreamNotFound()
			}
			return err
		}
		prefix := eventPrefix(region, group, in.LogStreamName)
		var err error
		if forward {
			events, err = loadEvents(tx, prefix, tokenPos, "", in.StartTime, in.EndTime)
			if len(events) > limit {
				events = events[:limit]
			}
		} else {
			events, err = loadEvents(tx, prefix, "", tokenPos, in.StartTime, in.EndTime)
			if len(events) > limit {
				events = events[len(events)-limit:]
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	type result struct {
		Events            []OutputLogEvent `json:"events"`
		NextForwardToken  string           `json:"nextForwardToken"`
		NextBackwardToken string           `json:"nextBackwardToken"`
	}
	out := result{Events: make([]OutputLogEvent, 0, len(events))}
	for _, e := range events {
		out.Events = append(out.Events, OutputLogEvent{Timestamp: e.T, Message: e.M, IngestionTime: e.I})
	}
	switch {
	case len(events) > 0:
		out.NextForwardToken = "f/" + events[len(events)-1].pos
		out.NextBackwardToken = "b/" + events[0].pos
	case tokenPos != "":
		// Nothing further that way: the same token again, as on AWS, and
		// the other direction starts at the same place.
		ts, seq, _ := parsePos(tokenPos)
		if forward {
			out.NextForwardToken = "f/" + tokenPos
			out.NextBackwardToken = "b/" + eventPos(ts, seq+1)
		} else {
			out.NextBackwardToken = "b/" + tokenPos
			out.NextForwardToken = "f/" + eventPos(ts, seq-1)
		}
	default:
		out.NextForwardToken = "f/" + eventPos(-1<<62, 0)
		out.NextBackwardToken = "b/" + eventPos(-1<<62, 0)
	}
	return out, nil
}

// FilterLogEventsInput is the input of FilterLogEvents.
type FilterLogEventsInput struct {
	LogGroupName        string   `json:"logGroupName"`
	LogGroupIdentifier  string   `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       *string  `json:"filterPattern"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int32   `json:"limit"`
	Interleaved         *bool    `json:"interleaved"`
	Unmask              bool     `json:"unmask"`
}

// FilteredLogEvent is one event of FilterLogEvents.
type FilteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

func (s *Service) filterLogEvents(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in FilterLogEventsInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	group := groupNameInput{LogGroupName: in.LogGroupName, LogGroupIdentifier: in.LogGroupIdentifier}.name()
	if err := validGroupName(group); err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != nil {
		return nil, errInvalid("logStreamNames and logStreamNamePrefix are mutually exclusive.")
	}
	if len(in.LogStreamNames) > 100 {
		return nil, errInvalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	limit, err := pageLimit(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	pat, err := parsePattern(deref(in.FilterPattern))
	if err != nil {
		return nil, errInvalid("Invalid filter pattern: %v", err)
	}
	type cursor struct {
		T      int64  `json:"t"`
		Stream string `json:"s"`
		Pos    string `json:"p"`
	}
	var from *cursor
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		var c cursor
		if err != nil || json.Unmarshal(b, &c) != nil {
			return nil, errInvalid("The specified nextToken is invalid.")
		}
		from = &c
	}
	region := s.env.RegionOf(r)
	type hit struct {
		stream string
		storedEvent
	}
	var hits []hit
	var searched []string
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, group)); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		var streams []string
		if len(in.LogStreamNames) > 0 {
			for _, n := range in.LogStreamNames {
				ok, err := tx.Exists(nsStream, streamKey(region, group, n))
				if err != nil {
					return err
				}
				if !ok {
					return errStreamNotFound()
				}
				streams = append(streams, n)
			}
		} else {
			entries, err := tx.List(state.ListParams{NS: nsStream, Prefix: groupScope(region, group) + url.PathEscape(deref(in.LogStreamNamePrefix))})
			if err != nil {
				return err
			}
			for _, e := range entries {
				var d streamDoc
				if err := json.Unmarshal(e.Value, &d); err != nil {
					return err
				}
				streams = append(streams, d.Name)
			}
		}
		searched = streams
		for _, st := range streams {
			evs, err := loadEvents(tx, eventPrefix(region, group, st), "", "", in.StartTime, in.EndTime)
			if err != nil {
				return err
			}
			for _, e := range evs {
				if ok, _ := pat.match(e.M); ok {
					hits = append(hits, hit{st, e})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	less := func(aT int64, aS, aP string, bT int64, bS, bP string) bool {
		if aT != bT {
			return aT < bT
		}
		if aS != bS {
			return aS < bS
		}
		return aP < bP
	}
	sort.Slice(hits, func(i, j int) bool {
		return less(hits[i].T, hits[i].stream, hits[i].pos, hits[j].T, hits[j].stream, hits[j].pos)
	})
	type searchedStream struct {
		LogStreamName      string `json:"logStreamName"`
		SearchedCompletely bool   `json:"searchedCompletely"`
	}
	type result struct {
		Events             []FilteredLogEvent `json:"events"`
		SearchedLogStreams []searchedStream   `json:"searchedLogStreams"`
		NextToken          *string            `json:"nextToken,omitempty"`
	}
	out := result{Events: []FilteredLogEvent{}, SearchedLogStreams: []searchedStream{}}
	for _, n := range searched {
		out.SearchedLogStreams = append(out.SearchedLogStreams, searchedStream{n, true})
	}
	for i, h := range hits {
		if from != nil && !less(from.T, from.Stream, from.Pos, h.T, h.stream, h.pos) {
			continue
		}
		if len(out.Events) == limit {
			prev := hits[i-1]
			b, _ := json.Marshal(cursor{T: prev.T, Stream: prev.stream, Pos: prev.pos})
			out.NextToken = ptr(base64.RawURLEncoding.EncodeToString(b))
			break
		}
		out.Events = append(out.Events, FilteredLogEvent{LogStreamName: h.stream, Timestamp: h.T, Message: h.M,
			IngestionTime: h.I, EventID: eventID(group, h.stream, h.pos)})
	}
	return out, nil
}

// eventID is a stable 56-digit id of an event, as AWS's look.
func eventID(group, stream, pos string) string {
	sum := sha256.Sum256([]byte(group + "\x00" + stream + "\x00" + pos))
	return fmt.Sprintf("%s%016d", pos, binary.BigEndian.Uint64(sum[:8])%1e16)
}
