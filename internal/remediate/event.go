package remediate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// EventBridge detail types and sources the remediator reads.
const (
	DetailTypeAlarmStateChange = "CloudWatch Alarm State Change"
	DetailTypeScheduled        = "Scheduled Event"
	SourceCloudWatch           = "aws.cloudwatch"
	SourceEvents               = "aws.events"
)

// Alarm state values.
const (
	StateAlarm            = "ALARM"
	StateOK               = "OK"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// Event is an EventBridge event as Lambda receives it. Detail stays raw
// until the detail type says what it holds.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// AlarmStateChange is the detail of a "CloudWatch Alarm State Change"
// event (the fields the remediator uses).
type AlarmStateChange struct {
	AlarmName     string     `json:"alarmName"`
	State         AlarmState `json:"state"`
	PreviousState AlarmState `json:"previousState"`
	Configuration struct {
		Description string `json:"description"`
	} `json:"configuration"`
}

// AlarmState is a state of an alarm in the event: its value, why, and
// when it was entered. Timestamp is as CloudWatch writes it, e.g.
// "2019-10-02T17:04:40.985+0000".
type AlarmState struct {
	Value      string `json:"value"`
	Reason     string `json:"reason"`
	ReasonData string `json:"reasonData,omitempty"`
	Timestamp  string `json:"timestamp"`
}

// ParseEvent decodes an EventBridge event.
func ParseEvent(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("decode the invocation payload as an EventBridge event: %w", err)
	}
	return e, nil
}

// AlarmChange decodes the event's detail as an alarm state change.
func (e Event) AlarmChange() (AlarmStateChange, error) {
	var d AlarmStateChange
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return d, fmt.Errorf("decode the detail of %q event %s: %w", e.DetailType, e.ID, err)
	}
	if d.AlarmName == "" {
		return d, fmt.Errorf("%q event %s has no detail.alarmName", e.DetailType, e.ID)
	}
	return d, nil
}

// timestampLayouts are the forms alarm timestamps come in: the event's
// (offset without a colon, milliseconds) and RFC 3339.
var timestampLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
}

// ParseTimestamp parses an alarm state timestamp.
func ParseTimestamp(s string) (time.Time, error) {
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("alarm state timestamp %q is in no known form (e.g. 2019-10-02T17:04:40.985+0000)", s)
}

// episodeLayout is ISO 8601 basic format, with no colon, so an episode id
// can sit in a log stream name and a task's stopped reason as it is.
const episodeLayout = "20060102T150405Z"

// Episode names one stay of an alarm in ALARM: the UTC second it entered
// the state, e.g. "20191002T170440Z". Seconds, not milliseconds, so the
// event's timestamp and DescribeAlarms' StateTransitionedTimestamp give
// the same id whatever precision each carries.
func Episode(entered time.Time) string {
	return entered.UTC().Truncate(time.Second).Format(episodeLayout)
}

// EpisodeTime is the inverse of Episode.
func EpisodeTime(episode string) (time.Time, error) {
	t, err := time.Parse(episodeLayout, episode)
	if err != nil {
		return time.Time{}, fmt.Errorf("episode %q is not of the form 20191002T170440Z", episode)
	}
	return t, nil
}

// EpisodeKey is a short, fixed-length digest of an alarm and episode. It
// is what the remediator searches stopped reasons for, so a long alarm
// name cut off by the 255-character limit still matches.
func EpisodeKey(alarm, episode string) string {
	sum := sha256.Sum256([]byte(alarm + "\x00" + episode))
	return hex.EncodeToString(sum[:6])
}

// StopReasonPrefix starts every StopTask reason the remediator gives.
const StopReasonPrefix = "vigil-remediator:"

// maxStopReason is StopTask's limit on the reason.
const maxStopReason = 255

// StopReason is the reason given to StopTask: it names the episode, its
// key, the alarm and why the task was picked, cut to ECS's 255 characters
// (the key comes before anything long).
func StopReason(alarm, episode, why string) string {
	s := fmt.Sprintf("%s episode=%s key=%s alarm=%s why=%s", StopReasonPrefix, episode, EpisodeKey(alarm, episode), alarm, why)
	return truncate(s, maxStopReason)
}

// IsStopFor reports whether a task's stopped reason is the remediator's
// for the alarm's episode.
func IsStopFor(reason, alarm, episode string) bool {
	return strings.HasPrefix(reason, StopReasonPrefix) && strings.Contains(reason, " key="+EpisodeKey(alarm, episode)+" ")
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
