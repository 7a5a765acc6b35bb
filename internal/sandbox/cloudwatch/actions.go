package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/vigil-sre/vigil/internal/cwalarm"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// AlarmChange is one state change of an alarm, with what its actions and
// its EventBridge event need to know.
type AlarmChange struct {
	// ID identifies the change (its outbox entry).
	ID        string `json:"id"`
	Region    string `json:"region"`
	AccountID string `json:"account_id"`
	AlarmName string `json:"alarm_name"`
	AlarmARN  string `json:"alarm_arn"`
	AlarmType string `json:"alarm_type"` // MetricAlarm or CompositeAlarm
	// Metric or Composite is the alarm as it is after the change.
	Metric    *MetricAlarm    `json:"metric,omitempty"`
	Composite *CompositeAlarm `json:"composite,omitempty"`
	Previous  StateRecord     `json:"previous"`
	Current   StateRecord     `json:"current"`
	// Actions are the actions to run: the new state's, when the alarm's
	// actions are enabled (empty otherwise). The state change event goes
	// to EventBridge either way.
	Actions []string `json:"actions,omitempty"`
}

// StateRecord is an alarm state with its reason, as events show it.
type StateRecord struct {
	Value      string    `json:"value"`
	Reason     string    `json:"reason,omitempty"`
	ReasonData string    `json:"reason_data,omitempty"`
	Timestamp  time.Time `json:"timestamp"`
}

// ActionResult is the outcome of one action.
type ActionResult struct {
	Action string
	Err    error
}

// ActionSink runs what a state change sets off: the change's actions (SNS
// notifications, …) and its "CloudWatch Alarm State Change" event. It is
// called after the change is committed, once per change (again after a
// crash between the commit and the end of the call: at least once). It
// returns one result per action it ran; the results become the alarm's
// Action history items.
type ActionSink interface {
	AlarmStateChanged(ctx context.Context, c AlarmChange) []ActionResult
}

// SetActionSink sets where state changes are handed (nil: nowhere). Call
// it before the service serves requests or evaluates alarms.
func (s *Service) SetActionSink(sink ActionSink) { s.sink = sink }

// outboxKey orders pending changes by the time they were made.
func outboxKey(at time.Time, id string) string {
	return fmt.Sprintf("%019d/%s", at.UnixNano(), id)
}

// dispatchPending hands every committed but undelivered change to the sink,
// oldest first, recording an Action history item per action, and removes
// it from the outbox. A change whose alarm was since deleted still runs.
func (s *Service) dispatchPending(ctx context.Context) error {
	entries, err := s.env.State.List(ctx, state.ListParams{NS: nsOutbox})
	if err != nil {
		return err
	}
	for _, e := range entries {
		var c AlarmChange
		if err := json.Unmarshal(e.Value, &c); err != nil {
			return fmt.Errorf("cloudwatch: decode pending alarm change %s: %w", e.Key, err)
		}
		var results []ActionResult
		if s.sink != nil {
			results = s.sink.AlarmStateChanged(ctx, c)
		}
		key := e.Key
		err := s.env.State.Update(ctx, func(tx *state.Tx) error {
			for i, r := range results {
				if err := s.putActionHistory(tx, c, r, c.Current.Timestamp, i+1); err != nil {
					return err
				}
			}
			return tx.Delete(nsOutbox, key)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// putActionHistory records an action's outcome as AWS does ("Action"
// history items), at (plus seq ns, to order it after the change).
func (s *Service) putActionHistory(tx *state.Tx, c AlarmChange, r ActionResult, at time.Time, seq int) error {
	data := map[string]any{
		"actionState":          "Succeeded",
		"stateUpdateTimestamp": c.Current.Timestamp.UnixMilli(),
		"notificationResource": r.Action,
	}
	summary := "Successfully executed action " + r.Action
	if r.Err != nil {
		data["actionState"] = "Failed"
		data["error"] = r.Err.Error()
		summary = fmt.Sprintf("Failed to execute action %s. Received error: %q", r.Action, r.Err.Error())
	}
	b, _ := json.Marshal(data)
	return putHistoryAt(tx, c.Region, at, seq, AlarmHistoryItem{
		AlarmName: ptr(c.AlarmName), AlarmType: ptr(c.AlarmType), HistoryItemType: ptr("Action"),
		HistorySummary: ptr(summary), HistoryData: ptr(string(b)),
	})
}

// putHistoryAt writes a history item at t; seq orders items written for
// the same instant (a transition, then its actions).
func putHistoryAt(tx *state.Tx, region string, t time.Time, seq int, it AlarmHistoryItem) error {
	it.Timestamp = ptr(t.UTC().Truncate(time.Millisecond))
	key := fmt.Sprintf("%s/%s/%019d/%s", region, url.PathEscape(deref(it.AlarmName)), t.UnixNano()+int64(seq), randHex(4))
	return tx.Put(nsHistory, key, it)
}

// stateUpdateHistory is the HistoryData of a StateUpdate item, as AWS
// writes it: old and new state with reason and reason data (embedded as
// JSON).
func stateUpdateHistory(old, new StateRecord) string {
	rec := func(r StateRecord) map[string]any {
		m := map[string]any{"stateValue": r.Value}
		if r.Reason != "" {
			m["stateReason"] = r.Reason
		}
		if r.ReasonData != "" && json.Valid([]byte(r.ReasonData)) {
			m["stateReasonData"] = json.RawMessage(r.ReasonData)
		}
		return m
	}
	b, _ := json.Marshal(map[string]any{"version": "1.0", "oldState": rec(old), "newState": rec(new)})
	return string(b)
}

// actionLists returns an alarm document's actions by state.
func actionLists(d *alarmDoc) cwalarm.Actions {
	ok, alarm, insufficient := d.actions()
	return cwalarm.Actions{OK: ok, Alarm: alarm, InsufficientData: insufficient}
}

// afterSetAlarmState hands a SetAlarmState change to the sink (SetState has
// recorded it): AWS runs actions and sends the event for manual changes too.
func (s *Service) afterSetAlarmState(ctx context.Context, region string, ch *StateChange) {
	if ch == nil || ch.OldState == ch.NewState || s.sink == nil {
		return
	}
	var doc alarmDoc
	if err := s.env.State.Get(ctx, nsAlarm, alarmKey(region, ch.AlarmName), &doc); err != nil {
		return
	}
	c := s.changeOf(region, &doc, StateRecord{Value: ch.OldState}, ch.ActionsToFire)
	results := s.sink.AlarmStateChanged(ctx, c)
	if len(results) == 0 {
		return
	}
	at := s.env.Now() // after SetState's own history item
	_ = s.env.State.Update(ctx, func(tx *state.Tx) error {
		for i, r := range results {
			if err := s.putActionHistory(tx, c, r, at, i+1); err != nil {
				return err
			}
		}
		return nil
	})
}

// changeOf builds the AlarmChange of a document already in its new state.
func (s *Service) changeOf(region string, doc *alarmDoc, previous StateRecord, actions []string) AlarmChange {
	c := AlarmChange{ID: randHex(8), Region: region, AccountID: s.env.AccountID, AlarmName: doc.name(), AlarmARN: doc.arn(),
		AlarmType: doc.Type, Previous: previous, Actions: actions}
	if m := doc.Metric; m != nil {
		mc := *m
		c.Metric = &mc
		c.Current = StateRecord{Value: deref(m.StateValue), Reason: deref(m.StateReason), ReasonData: deref(m.StateReasonData), Timestamp: deref(m.StateUpdatedTimestamp)}
	} else {
		cc := *doc.Composite
		c.Composite = &cc
		c.Current = StateRecord{Value: deref(cc.StateValue), Reason: deref(cc.StateReason), ReasonData: deref(cc.StateReasonData), Timestamp: deref(cc.StateUpdatedTimestamp)}
	}
	return c
}
