package sns

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Message is one published message, as the sandbox keeps it in its
// topic's log (Messages reads the log); delivery.go delivers it.
type Message struct {
	MessageID              string                      `json:"message_id"`
	TopicARN               string                      `json:"topic_arn"`
	Subject                string                      `json:"subject,omitempty"`
	Message                string                      `json:"message"`
	MessageStructure       string                      `json:"message_structure,omitempty"`
	MessageAttributes      map[string]MessageAttribute `json:"message_attributes,omitempty"`
	MessageGroupID         string                      `json:"message_group_id,omitempty"`
	MessageDeduplicationID string                      `json:"message_deduplication_id,omitempty"`
	SequenceNumber         string                      `json:"sequence_number,omitempty"`
	Timestamp              time.Time                   `json:"timestamp"`
}

// MessageAttribute is a typed message attribute.
type MessageAttribute struct {
	DataType    string `json:"data_type"`
	StringValue string `json:"string_value,omitempty"`
	BinaryValue []byte `json:"binary_value,omitempty"`
}

type dedupDoc struct {
	MessageID      string    `json:"message_id"`
	SequenceNumber string    `json:"sequence_number"`
	At             time.Time `json:"at"`
}

// Messages returns the messages published to a topic, oldest first.
func Messages(ctx context.Context, st *state.Store, topicARN string) ([]Message, error) {
	es, err := st.List(ctx, state.ListParams{NS: nsMessage, Prefix: topicARN + "/"})
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(es))
	for _, e := range es {
		var m Message
		if err := json.Unmarshal(e.Value, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

const (
	maxMessageBytes = 262_144
	dedupWindow     = 5 * time.Minute
)

var (
	batchIDRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	attrNameRE    = regexp.MustCompile(`^[A-Za-z0-9_\-.]{1,256}$`)
	groupIDRE     = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
	dataTypeRE    = regexp.MustCompile(`^(String|Number|Binary)(\.[A-Za-z0-9_\-.]+)?$|^String\.Array$`)
	errParamValue = func(format string, args ...any) error {
		return protocol.Errorf(http.StatusBadRequest, codeParameterValue, format, args...)
	}
)

// publishInput is one message to publish (Publish or a batch entry).
type publishInput struct {
	Message                string
	Subject                string
	MessageStructure       string
	MessageAttributes      map[string]MessageAttribute
	MessageGroupID         string
	MessageDeduplicationID string
	groupIDSet, dedupIDSet bool
	size                   int
}

func readPublishInput(form url.Values, prefix string) (publishInput, error) {
	get := func(k string) string { return form.Get(prefix + k) }
	_, groupSet := form[prefix+"MessageGroupId"]
	_, dedupSet := form[prefix+"MessageDeduplicationId"]
	in := publishInput{
		Message: get("Message"), Subject: get("Subject"), MessageStructure: get("MessageStructure"),
		MessageGroupID: get("MessageGroupId"), MessageDeduplicationID: get("MessageDeduplicationId"),
		groupIDSet: groupSet, dedupIDSet: dedupSet,
	}
	attrs := protocol.QueryList(form, prefix+"MessageAttributes.entry")
	if len(attrs) > 10 {
		return in, errInvalid("MessageAttributes Reason: a message can have at most 10 attributes")
	}
	in.size = len(in.Message)
	for _, a := range attrs {
		name := a.Get("Name")
		dt := a.Get("Value.DataType")
		if !attrNameRE.MatchString(name) || strings.HasPrefix(strings.ToLower(name), "aws.") || strings.HasPrefix(strings.ToLower(name), "amazon.") {
			return in, errParamValue("The message attribute name '%s' is invalid.", name)
		}
		if !dataTypeRE.MatchString(dt) {
			return in, errParamValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		ma := MessageAttribute{DataType: dt, StringValue: a.Get("Value.StringValue")}
		switch {
		case strings.HasPrefix(dt, "Binary"):
			b, err := base64.StdEncoding.DecodeString(a.Get("Value.BinaryValue"))
			if err != nil || len(b) == 0 {
				return in, errParamValue("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
			}
			ma.BinaryValue, ma.StringValue = b, ""
		case strings.HasPrefix(dt, "Number"):
			if _, err := strconv.ParseFloat(ma.StringValue, 64); err != nil {
				return in, errParamValue("Could not cast message attribute '%s' value to number.", name)
			}
		case dt == "String.Array":
			var arr []any
			if err := json.Unmarshal([]byte(ma.StringValue), &arr); err != nil {
				return in, errParamValue("The message attribute '%s' with type 'String.Array' must be a JSON array.", name)
			}
		default:
			if ma.StringValue == "" {
				return in, errParamValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dt)
			}
		}
		if in.MessageAttributes == nil {
			in.MessageAttributes = map[string]MessageAttribute{}
		}
		in.MessageAttributes[name] = ma
		in.size += len(name) + len(dt) + len(ma.StringValue) + len(ma.BinaryValue)
	}
	return in, nil
}

// validate checks a message against its topic.
func (in *publishInput) validate(t topicDoc) error {
	if in.Message == "" {
		return errInvalid("Empty message")
	}
	if in.size > maxMessageBytes {
		return errInvalid("Message too long")
	}
	if !utf8.ValidString(in.Message) {
		return errInvalid("Message must be valid UTF-8")
	}
	if in.Subject != "" {
		if len(in.Subject) > 100 || strings.ContainsAny(in.Subject, "\r\n") {
			return errInvalid("Subject")
		}
		for _, r := range in.Subject {
			if r < 0x20 || r > 0x7e {
				return errInvalid("Subject")
			}
		}
	}
	switch in.MessageStructure {
	case "":
	case "json":
		var m map[string]any
		if err := json.Unmarshal([]byte(in.Message), &m); err != nil {
			return errInvalid("Message Structure - JSON message body failed to parse")
		}
		if d, ok := m["default"].(string); !ok || d == "" {
			return errInvalid("Message Structure - No default entry in JSON message body")
		}
	default:
		return errInvalid("MessageStructure")
	}
	if t.FIFO {
		if !in.groupIDSet || in.MessageGroupID == "" {
			return errInvalid("The MessageGroupId parameter is required for FIFO topics")
		}
		if !groupIDRE.MatchString(in.MessageGroupID) {
			return errInvalid("MessageGroupId")
		}
		if in.MessageDeduplicationID == "" {
			if t.Attributes["ContentBasedDeduplication"] != "true" {
				return errInvalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(in.Message))
			in.MessageDeduplicationID = hex.EncodeToString(sum[:])
		} else if !groupIDRE.MatchString(in.MessageDeduplicationID) {
			return errInvalid("MessageDeduplicationId")
		}
		return nil
	}
	if in.dedupIDSet {
		return errInvalid("The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	if in.groupIDSet && !groupIDRE.MatchString(in.MessageGroupID) {
		return errInvalid("MessageGroupId")
	}
	return nil
}

// store appends a message to its topic's log (or, for a FIFO duplicate
// within five minutes, returns the original's id). t is updated.
func (s *Service) store(tx *state.Tx, t *topicDoc, in publishInput) (id, seq string, err error) {
	now := s.env.Now().UTC()
	if t.FIFO {
		var d dedupDoc
		dk := t.ARN + "/" + in.MessageDeduplicationID
		err := tx.Get(nsDedup, dk, &d)
		if err == nil && now.Sub(d.At) < dedupWindow {
			return d.MessageID, d.SequenceNumber, nil
		}
		if err != nil && !service.IsNotFound(err) {
			return "", "", err
		}
	}
	t.Seq++
	m := Message{
		MessageID: newUUID(), TopicARN: t.ARN, Subject: in.Subject, Message: in.Message,
		MessageStructure: in.MessageStructure, MessageAttributes: in.MessageAttributes,
		MessageGroupID: in.MessageGroupID, Timestamp: now,
	}
	if t.FIFO {
		m.MessageDeduplicationID = in.MessageDeduplicationID
		m.SequenceNumber = fmt.Sprintf("%020d", t.Seq)
		if err := tx.Put(nsDedup, t.ARN+"/"+in.MessageDeduplicationID, dedupDoc{m.MessageID, m.SequenceNumber, now}); err != nil {
			return "", "", err
		}
	}
	if err := tx.Put(nsMessage, fmt.Sprintf("%s/%020d", t.ARN, t.Seq), m); err != nil {
		return "", "", err
	}
	if err := s.enqueueDeliveries(tx, m); err != nil {
		return "", "", err
	}
	return m.MessageID, m.SequenceNumber, nil
}

type publishResult struct {
	MessageId      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

func (s *Service) publish(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	topicARN, targetARN, phone := form.Get("TopicArn"), form.Get("TargetArn"), form.Get("PhoneNumber")
	n := 0
	for _, v := range []string{topicARN, targetARN, phone} {
		if v != "" {
			n++
		}
	}
	if n == 0 {
		return nil, errInvalid("TopicArn or TargetArn Reason: no value for required parameter")
	}
	if n > 1 {
		return nil, errInvalid("TopicArn, TargetArn and PhoneNumber Reason: only one may be given")
	}
	if phone != "" {
		return nil, protocol.NotImplemented("sns", "Publish to a PhoneNumber (SMS)")
	}
	if targetARN != "" {
		if p, ok := parseARN(targetARN, "sns"); ok && strings.HasPrefix(p.resource, "endpoint/") {
			return nil, protocol.NotImplemented("sns", "Publish to a platform application endpoint")
		}
		topicARN = targetARN
	}
	in, err := readPublishInput(form, "")
	if err != nil {
		return nil, err
	}
	var out publishResult
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := s.getTopic(tx, topicARN)
		if err != nil {
			return err
		}
		if err := in.validate(t); err != nil {
			return err
		}
		out.MessageId, out.SequenceNumber, err = s.store(tx, &t, in)
		if err != nil {
			return err
		}
		return tx.Put(nsTopic, t.ARN, t)
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	return out, nil
}

type batchSuccess struct {
	Id             string `xml:"Id"`
	MessageId      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

type batchFailure struct {
	Id          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

type publishBatchResult struct {
	Successful []batchSuccess `xml:"Successful>member"`
	Failed     []batchFailure `xml:"Failed>member"`
}

func (s *Service) publishBatch(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	topicARN := form.Get("TopicArn")
	if err := s.topicARN("TopicArn", topicARN); err != nil {
		return nil, err
	}
	entries := protocol.QueryList(form, "PublishBatchRequestEntries.member")
	indexes := memberIndexes(form, "PublishBatchRequestEntries.member.")
	if len(entries) == 0 {
		return nil, protocol.Errorf(http.StatusBadRequest, codeEmptyBatch, "The batch request doesn't contain any entries")
	}
	if len(entries) > 10 {
		return nil, protocol.Errorf(http.StatusBadRequest, codeTooManyEntries, "The batch request contains more entries than permissible")
	}
	ids := map[string]bool{}
	inputs := make([]publishInput, len(entries))
	total := 0
	readErrs := make([]error, len(entries))
	for i, e := range entries {
		id := e.Get("Id")
		if !batchIDRE.MatchString(id) {
			return nil, protocol.Errorf(http.StatusBadRequest, codeInvalidBatchID, "The Id of a batch entry in a batch request doesn't abide by the specification")
		}
		if ids[id] {
			return nil, protocol.Errorf(http.StatusBadRequest, codeBatchIDsNotUnique, "Two or more batch entries in the request have the same Id")
		}
		ids[id] = true
		in, err := readPublishInput(form, fmt.Sprintf("PublishBatchRequestEntries.member.%d.", indexes[i]))
		inputs[i], readErrs[i] = in, err
		total += in.size
	}
	if total > maxMessageBytes {
		return nil, protocol.Errorf(http.StatusBadRequest, codeBatchRequestTooBig, "The length of all the messages put together is more than the limit")
	}
	out := publishBatchResult{Successful: []batchSuccess{}, Failed: []batchFailure{}}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := s.getTopic(tx, topicARN)
		if err != nil {
			return err
		}
		for i, e := range entries {
			id := e.Get("Id")
			err := readErrs[i]
			if err == nil {
				err = inputs[i].validate(t)
			}
			if err != nil {
				pe := protocol.AsError(err)
				out.Failed = append(out.Failed, batchFailure{Id: id, Code: pe.Code, Message: pe.Message, SenderFault: pe.Sender()})
				continue
			}
			mid, seq, err := s.store(tx, &t, inputs[i])
			if err != nil {
				return err
			}
			out.Successful = append(out.Successful, batchSuccess{Id: id, MessageId: mid, SequenceNumber: seq})
		}
		return tx.Put(nsTopic, t.ARN, t)
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	return out, nil
}

// memberIndexes returns the list indexes present under prefix ("X.member."),
// in the numeric order protocol.QueryList uses.
func memberIndexes(form url.Values, prefix string) []int {
	seen := map[int]bool{}
	var out []int
	for k := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		idx, _, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 1 || seen[i] {
			continue
		}
		seen[i] = true
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}
