package sns

import (
	"context"
	"crypto/rand"
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
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/queue"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// XMLNS is the namespace of SNS query-protocol responses.
const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// State namespaces.
const (
	nsTopic        = "sns/topic"        // topic ARN → topicDoc
	nsSubscription = "sns/subscription" // subscription ARN (topic ARN + ":" + id) → subscriptionDoc
	nsMessage      = "sns/message"      // topic ARN + "/" + %020d seq → Message
	nsDedup        = "sns/dedup"        // topic ARN + "/" + deduplication id → dedupDoc
)

// Error codes, as the query protocol names them.
const (
	codeNotFound           = "NotFound"           // types.NotFoundException
	codeInvalidParameter   = "InvalidParameter"   // types.InvalidParameterException
	codeAuthorization      = "AuthorizationError" // types.AuthorizationErrorException
	codeResourceNotFound   = "ResourceNotFound"   // types.ResourceNotFoundException (tags)
	codeTagLimit           = "TagLimitExceeded"   // types.TagLimitExceededException
	codeParameterValue     = "ParameterValueInvalid"
	codeEmptyBatch         = "EmptyBatchRequest"
	codeTooManyEntries     = "TooManyEntriesInBatchRequest"
	codeBatchIDsNotUnique  = "BatchEntryIdsNotDistinct"
	codeInvalidBatchID     = "InvalidBatchEntryId"
	codeBatchRequestTooBig = "BatchRequestTooLong"
)

func errInvalid(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeInvalidParameter, "Invalid parameter: "+format, args...)
}

func errTopicNotFound() error {
	return protocol.Errorf(http.StatusNotFound, codeNotFound, "Topic does not exist")
}

func errSubscriptionNotFound() error {
	return protocol.Errorf(http.StatusNotFound, codeNotFound, "Subscription does not exist")
}

// Service is the sandbox's SNS (query protocol, signing name "sns").
type Service struct {
	*service.Query
	env service.Env

	dmu   sync.Mutex
	dopts DeliveryOptions
	queue queue.Lazy
	sig   *signer
}

// New builds the SNS service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.Query = &service.Query{ServiceName: "sns", XMLNS: XMLNS, Logger: env.Logger, Ops: map[string]service.QueryOp{
		"CreateTopic":               s.createTopic,
		"GetTopicAttributes":        s.getTopicAttributes,
		"SetTopicAttributes":        s.setTopicAttributes,
		"DeleteTopic":               s.deleteTopic,
		"ListTopics":                s.listTopics,
		"Subscribe":                 s.subscribe,
		"ConfirmSubscription":       s.confirmSubscription,
		"Unsubscribe":               s.unsubscribe,
		"GetSubscriptionAttributes": s.getSubscriptionAttributes,
		"SetSubscriptionAttributes": s.setSubscriptionAttributes,
		"ListSubscriptions":         s.listSubscriptions,
		"ListSubscriptionsByTopic":  s.listSubscriptionsByTopic,
		"TagResource":               s.tagResource,
		"UntagResource":             s.untagResource,
		"ListTagsForResource":       s.listTagsForResource,
		"Publish":                   s.publish,
		"PublishBatch":              s.publishBatch,
	}}
	return s
}

// Tag is a key/value tag.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// topicDoc is a stored topic.
type topicDoc struct {
	ARN        string            `json:"arn"`
	Name       string            `json:"name"`
	FIFO       bool              `json:"fifo"`
	Attributes map[string]string `json:"attributes,omitempty"` // settable attributes, as set
	Tags       []Tag             `json:"tags,omitempty"`
	Created    time.Time         `json:"created"`
	Seq        int64             `json:"seq"` // last message sequence number
}

// arn parts: arn:aws:sns:<region>:<account>:<resource>
type arnParts struct {
	region, account, resource string
}

func parseARN(arn, service string) (arnParts, bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[2] != service || p[3] == "" || p[4] == "" || p[5] == "" {
		return arnParts{}, false
	}
	return arnParts{region: p[3], account: p[4], resource: p[5]}, true
}

// topicARN validates a topic ARN parameter.
func (s *Service) topicARN(param, arn string) error {
	if arn == "" {
		return errInvalid("%s", param)
	}
	p, ok := parseARN(arn, "sns")
	if !ok || strings.Contains(p.resource, ":") || !topicNameRE.MatchString(p.resource) {
		return errInvalid("%s", param)
	}
	if p.account != s.env.AccountID {
		return protocol.Errorf(http.StatusForbidden, codeAuthorization,
			"User: arn:aws:iam::%s:root is not authorized to access %s: the topic belongs to account %s", s.env.AccountID, arn, p.account)
	}
	return nil
}

var (
	topicNameRE    = regexp.MustCompile(`^([A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)$`)
	tagKeyRE       = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	topicAttrNames = map[string]bool{
		"DeliveryPolicy": true, "DisplayName": true, "FifoTopic": true, "Policy": true, "SignatureVersion": true,
		"TracingConfig": true, "KmsMasterKeyId": true, "ArchivePolicy": true, "ContentBasedDeduplication": true,
		"FifoThroughputScope": true, "DataProtectionPolicy": true,
		"ApplicationSuccessFeedbackRoleArn": true, "ApplicationSuccessFeedbackSampleRate": true, "ApplicationFailureFeedbackRoleArn": true,
		"HTTPSuccessFeedbackRoleArn": true, "HTTPSuccessFeedbackSampleRate": true, "HTTPFailureFeedbackRoleArn": true,
		"LambdaSuccessFeedbackRoleArn": true, "LambdaSuccessFeedbackSampleRate": true, "LambdaFailureFeedbackRoleArn": true,
		"SQSSuccessFeedbackRoleArn": true, "SQSSuccessFeedbackSampleRate": true, "SQSFailureFeedbackRoleArn": true,
		"FirehoseSuccessFeedbackRoleArn": true, "FirehoseSuccessFeedbackSampleRate": true, "FirehoseFailureFeedbackRoleArn": true,
	}
)

// defaultPolicy is the policy AWS gives a new topic: the owning account
// (any principal, conditioned on AWS:SourceOwner) may manage and use it.
func defaultPolicy(topicARN, account string) string {
	doc := map[string]any{
		"Version": "2008-10-17",
		"Id":      "__default_policy_ID",
		"Statement": []any{map[string]any{
			"Sid":       "__default_statement_ID",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
				"SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			"Resource":  topicARN,
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": account}},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

const defaultDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

// validateTopicAttribute checks one settable attribute; creating says
// whether it comes with CreateTopic (FifoTopic may only be set then).
func validateTopicAttribute(name, value string, fifo, creating bool) error {
	if !topicAttrNames[name] {
		return errInvalid("AttributeName")
	}
	jsonDoc := func() error {
		if value == "" {
			return nil
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			return errInvalid("Attributes Reason: %s: %s is not a valid JSON object", name, truncate(value, 40))
		}
		return nil
	}
	switch name {
	case "FifoTopic":
		if !creating {
			return errInvalid("AttributeName Reason: FifoTopic can only be set when the topic is created")
		}
		if value != "true" && value != "false" {
			return errInvalid("Attributes Reason: FifoTopic must be true or false")
		}
	case "ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy":
		if !fifo {
			return errInvalid("Attributes Reason: %s can only be set for FIFO topics", name)
		}
		switch name {
		case "ContentBasedDeduplication":
			if value != "true" && value != "false" {
				return errInvalid("Attributes Reason: ContentBasedDeduplication must be true or false")
			}
		case "FifoThroughputScope":
			if value != "Topic" && value != "MessageGroup" {
				return errInvalid("Attributes Reason: FifoThroughputScope must be Topic or MessageGroup")
			}
		default:
			return jsonDoc()
		}
	case "Policy":
		if value == "" {
			return nil
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			return errInvalid("Policy Error: the policy is not valid JSON")
		}
		if _, ok := v["Statement"]; !ok {
			return errInvalid("Policy Error: the policy has no Statement")
		}
	case "DeliveryPolicy", "DataProtectionPolicy":
		return jsonDoc()
	case "DisplayName":
		if len(value) > 100 {
			return errInvalid("DisplayName Reason: longer than 100 characters")
		}
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return errInvalid("Attributes Reason: SignatureVersion must be 1 or 2")
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return errInvalid("Attributes Reason: TracingConfig must be PassThrough or Active")
		}
	default:
		if strings.HasSuffix(name, "SampleRate") {
			if n, err := strconv.Atoi(value); value != "" && (err != nil || n < 0 || n > 100) {
				return errInvalid("Attributes Reason: %s must be an integer from 0 to 100", name)
			}
		} else if strings.HasSuffix(name, "RoleArn") && value != "" && !strings.HasPrefix(value, "arn:") {
			return errInvalid("Attributes Reason: %s must be an IAM role ARN", name)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// readMap reads a query-protocol map (Prefix.entry.N.key / .value).
func readMap(form url.Values, prefix string) map[string]string {
	entries := protocol.QueryList(form, prefix+".entry")
	if len(entries) == 0 {
		return nil
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		if k := e.Get("key"); k != "" {
			m[k] = e.Get("value")
		}
	}
	return m
}

func readTags(form url.Values, prefix string) []Tag {
	var tags []Tag
	for _, m := range protocol.QueryList(form, prefix) {
		tags = append(tags, Tag{Key: m.Get("Key"), Value: m.Get("Value")})
	}
	return tags
}

func validTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || !tagKeyRE.MatchString(t.Key) || strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errInvalid("Tags Reason: invalid tag key %q", t.Key)
		}
		if len(t.Value) > 256 || !tagKeyRE.MatchString(t.Value) {
			return errInvalid("Tags Reason: invalid value for tag %q", t.Key)
		}
		if seen[t.Key] {
			return errInvalid("Tags Reason: duplicate tag key %q", t.Key)
		}
		seen[t.Key] = true
	}
	if len(tags) > 50 {
		return protocol.Errorf(http.StatusBadRequest, codeTagLimit, "Could not complete request: tag quota of per resource exceeded")
	}
	return nil
}

type createTopicResult struct {
	TopicArn string `xml:"TopicArn"`
}

func (s *Service) createTopic(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	name := form.Get("Name")
	attrs := readMap(form, "Attributes")
	tags := readTags(form, "Tags.member")
	if !topicNameRE.MatchString(name) {
		return nil, errInvalid("Topic Name")
	}
	fifo := attrs["FifoTopic"] == "true"
	if fifo != strings.HasSuffix(name, ".fifo") {
		return nil, errInvalid("Topic Name: FIFO topic names end with .fifo, and only FIFO topics (FifoTopic=true) may")
	}
	for k, v := range attrs {
		if err := validateTopicAttribute(k, v, fifo, true); err != nil {
			return nil, err
		}
	}
	if err := validTags(tags); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	arn := s.env.ARN("sns", region, name)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		var t topicDoc
		err := tx.Get(nsTopic, arn, &t)
		if err == nil {
			// Idempotent: the same name returns the same topic, unless the
			// request asks for different attributes or tags.
			for k, v := range attrs {
				if k == "FifoTopic" {
					continue
				}
				if t.Attributes[k] != v {
					return errInvalid("Attributes Reason: Topic already exists with different attributes")
				}
			}
			if len(tags) > 0 && !sameTags(tags, t.Tags) {
				return errInvalid("Tags Reason: Topic already exists with different tags")
			}
			return nil
		}
		if !service.IsNotFound(err) {
			return err
		}
		t = topicDoc{ARN: arn, Name: name, FIFO: fifo, Attributes: map[string]string{}, Tags: tags, Created: s.env.Now().UTC()}
		for k, v := range attrs {
			if k != "FifoTopic" {
				setAttr(t.Attributes, k, v)
			}
		}
		return tx.Put(nsTopic, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return createTopicResult{TopicArn: arn}, nil
}

// setAttr stores an attribute; an empty value removes the optional ones.
func setAttr(m map[string]string, k, v string) {
	if v == "" && k != "DisplayName" {
		delete(m, k)
		return
	}
	m[k] = v
}

func sameTags(a, b []Tag) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]string{}
	for _, t := range b {
		m[t.Key] = t.Value
	}
	for _, t := range a {
		if v, ok := m[t.Key]; !ok || v != t.Value {
			return false
		}
	}
	return true
}

type attrEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type attributesResult struct {
	Attributes []attrEntry `xml:"Attributes>entry"`
}

func entries(m map[string]string) attributesResult {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := attributesResult{Attributes: make([]attrEntry, 0, len(keys))}
	for _, k := range keys {
		out.Attributes = append(out.Attributes, attrEntry{k, m[k]})
	}
	return out
}

func (s *Service) getTopic(tx *state.Tx, arn string) (topicDoc, error) {
	if err := s.topicARN("TopicArn", arn); err != nil {
		return topicDoc{}, err
	}
	var t topicDoc
	if err := tx.Get(nsTopic, arn, &t); err != nil {
		if service.IsNotFound(err) {
			return t, errTopicNotFound()
		}
		return t, err
	}
	return t, nil
}

func (s *Service) getTopicAttributes(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	arn := form.Get("TopicArn")
	var attrs map[string]string
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := s.getTopic(tx, arn)
		if err != nil {
			return err
		}
		subs, err := listSubscriptionDocs(tx, arn+":")
		if err != nil {
			return err
		}
		attrs = s.topicAttributes(t, subs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return entries(attrs), nil
}

// topicAttributes is the full map GetTopicAttributes returns.
func (s *Service) topicAttributes(t topicDoc, subs []subscriptionDoc) map[string]string {
	confirmed, pending := 0, 0
	for _, sub := range subs {
		if sub.Pending {
			pending++
		} else {
			confirmed++
		}
	}
	m := map[string]string{
		"TopicArn":                t.ARN,
		"Owner":                   s.env.AccountID,
		"Policy":                  defaultPolicy(t.ARN, s.env.AccountID),
		"DisplayName":             "",
		"SubscriptionsConfirmed":  strconv.Itoa(confirmed),
		"SubscriptionsPending":    strconv.Itoa(pending),
		"SubscriptionsDeleted":    "0",
		"EffectiveDeliveryPolicy": defaultDeliveryPolicy,
	}
	if t.FIFO {
		m["FifoTopic"] = "true"
		m["ContentBasedDeduplication"] = "false"
	}
	for k, v := range t.Attributes {
		m[k] = v
	}
	if dp := t.Attributes["DeliveryPolicy"]; dp != "" {
		m["EffectiveDeliveryPolicy"] = dp
	}
	return m
}

func (s *Service) setTopicAttributes(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	arn := form.Get("TopicArn")
	name := form.Get("AttributeName")
	value := form.Get("AttributeValue")
	if name == "" {
		return nil, errInvalid("AttributeName")
	}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := s.getTopic(tx, arn)
		if err != nil {
			return err
		}
		if err := validateTopicAttribute(name, value, t.FIFO, false); err != nil {
			return err
		}
		if t.Attributes == nil {
			t.Attributes = map[string]string{}
		}
		setAttr(t.Attributes, name, value)
		return tx.Put(nsTopic, arn, t)
	})
	return nil, err
}

func (s *Service) deleteTopic(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	arn := form.Get("TopicArn")
	if err := s.topicARN("TopicArn", arn); err != nil {
		return nil, err
	}
	// Deleting a topic that does not exist is not an error (AWS docs);
	// its subscriptions, messages and deduplication records go with it.
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		for _, ns := range []struct{ ns, prefix string }{{nsSubscription, arn + ":"}, {nsMessage, arn + "/"}, {nsDedup, arn + "/"}} {
			if err := tx.DeletePrefix(ns.ns, ns.prefix); err != nil {
				return err
			}
		}
		return tx.Delete(nsTopic, arn)
	})
	return nil, err
}

type topicMember struct {
	TopicArn string `xml:"TopicArn"`
}

type listTopicsResult struct {
	Topics    []topicMember `xml:"Topics>member"`
	NextToken string        `xml:"NextToken,omitempty"`
}

const pageSize = 100

func (s *Service) listTopics(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	prefix := s.env.ARN("sns", s.env.RegionOf(r), "")
	after, err := pageToken(form.Get("NextToken"), prefix)
	if err != nil {
		return nil, err
	}
	out := listTopicsResult{Topics: []topicMember{}}
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		es, err := tx.List(state.ListParams{NS: nsTopic, Prefix: prefix, After: after, Limit: pageSize + 1})
		if err != nil {
			return err
		}
		for i, e := range es {
			if i == pageSize {
				out.NextToken = encodeToken(es[i-1].Key)
				break
			}
			out.Topics = append(out.Topics, topicMember{TopicArn: e.Key})
		}
		return nil
	})
	return out, err
}

func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func pageToken(tok, prefix string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), prefix) {
		return "", errInvalid("NextToken")
	}
	return string(b), nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// --- tags --------------------------------------------------------------------

func (s *Service) taggedTopic(tx *state.Tx, arn string) (topicDoc, error) {
	var t topicDoc
	p, ok := parseARN(arn, "sns")
	if !ok || p.account != s.env.AccountID {
		return t, protocol.Errorf(http.StatusNotFound, codeResourceNotFound, "Resource does not exist")
	}
	if err := tx.Get(nsTopic, arn, &t); err != nil {
		if service.IsNotFound(err) {
			return t, protocol.Errorf(http.StatusNotFound, codeResourceNotFound, "Resource does not exist")
		}
		return t, err
	}
	return t, nil
}

func (s *Service) tagResource(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	arn := form.Get("ResourceArn")
	tags := readTags(form, "Tags.member")
	if len(tags) == 0 {
		return nil, errInvalid("Tags")
	}
	if err := validTags(tags); err != nil {
		return nil, err
	}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := s.taggedTopic(tx, arn)
		if err != nil {
			return err
		}
		for _, nt := range tags {
			replaced := false
			for i := range t.Tags {
				if t.Tags[i].Key == nt.Key {
					t.Tags[i].Value, replaced = nt.Value, true
				}
			}
			if !replaced {
				t.Tags = append(t.Tags, nt)
			}
		}
		if len(t.Tags) > 50 {
			return protocol.Errorf(http.StatusBadRequest, codeTagLimit, "Could not complete request: tag quota of per resource exceeded")
		}
		return tx.Put(nsTopic, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil // an empty <…Result/>, which SDKs require
}

func (s *Service) untagResource(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	arn := form.Get("ResourceArn")
	keys := protocol.QueryStrings(form, "TagKeys.member")
	if len(keys) == 0 {
		return nil, errInvalid("TagKeys")
	}
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := s.taggedTopic(tx, arn)
		if err != nil {
			return err
		}
		kept := t.Tags[:0]
		for _, tag := range t.Tags {
			if !drop[tag.Key] {
				kept = append(kept, tag)
			}
		}
		t.Tags = kept
		return tx.Put(nsTopic, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil // an empty <…Result/>, which SDKs require
}

type tagsResult struct {
	Tags []Tag `xml:"Tags>member"`
}

func (s *Service) listTagsForResource(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	var out tagsResult
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := s.taggedTopic(tx, form.Get("ResourceArn"))
		if err != nil {
			return err
		}
		out.Tags = t.Tags
		return nil
	})
	return out, err
}

func boolString(b bool) string { return fmt.Sprint(b) }
