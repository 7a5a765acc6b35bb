package sns

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// subscriptionDoc is a stored subscription.
type subscriptionDoc struct {
	ARN                          string            `json:"arn"`
	TopicARN                     string            `json:"topic_arn"`
	Protocol                     string            `json:"protocol"`
	Endpoint                     string            `json:"endpoint"`
	Pending                      bool              `json:"pending"`
	Token                        string            `json:"token,omitempty"`
	ConfirmationWasAuthenticated bool              `json:"authenticated"`
	Attributes                   map[string]string `json:"attributes,omitempty"`
	Created                      time.Time         `json:"created"`
}

// Protocols and whether a new subscription waits for confirmation. Email
// and HTTP(S) endpoints must confirm: HTTP(S) ones are sent the
// SubscriptionConfirmation (delivery.go); the token is stored,
// ConfirmationToken returns it, and ConfirmSubscription accepts it.
var protocols = map[string]bool{
	"http": true, "https": true, "email": true, "email-json": true,
	"sms": false, "sqs": false, "lambda": false, "firehose": false, "application": false,
}

var (
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	phoneRE    = regexp.MustCompile(`^\+?[0-9]{5,15}$`)
	subAttrs   = map[string]bool{"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true, "RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true}
	rawCapable = map[string]bool{"sqs": true, "http": true, "https": true, "firehose": true}
)

func validEndpoint(proto, endpoint string) error {
	arnOf := func(svc, resourcePrefix string) error {
		p, ok := parseARN(endpoint, svc)
		if !ok || !strings.HasPrefix(p.resource, resourcePrefix) {
			return errInvalid("%s endpoint ARN", strings.ToUpper(proto[:1])+proto[1:])
		}
		return nil
	}
	switch proto {
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != proto || u.Host == "" {
			return errInvalid("Endpoint must match the specified protocol")
		}
	case "email", "email-json":
		if !emailRE.MatchString(endpoint) {
			return errInvalid("Email address")
		}
	case "sms":
		if !phoneRE.MatchString(endpoint) {
			return errInvalid("Invalid SMS endpoint: %s", endpoint)
		}
	case "sqs":
		return arnOf("sqs", "")
	case "lambda":
		return arnOf("lambda", "function:")
	case "firehose":
		return arnOf("firehose", "deliverystream/")
	case "application":
		return arnOf("sns", "endpoint/")
	}
	return nil
}

func validateSubscriptionAttribute(name, value, proto string) error {
	if !subAttrs[name] {
		return errInvalid("AttributeName")
	}
	isJSONObject := func() bool {
		var v map[string]any
		return json.Unmarshal([]byte(value), &v) == nil
	}
	switch name {
	case "RawMessageDelivery":
		if value != "true" && value != "false" {
			return errInvalid("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		if value == "true" && !rawCapable[proto] {
			return errInvalid("Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", proto)
		}
	case "FilterPolicy":
		if value == "" || value == "{}" {
			return nil
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			return errInvalid("Filter policy: failed to parse JSON")
		}
		if err := validFilterPolicy(v, 0); err != nil {
			return errInvalid("Filter policy: %v", err)
		}
	case "FilterPolicyScope":
		if value != "MessageAttributes" && value != "MessageBody" {
			return errInvalid("Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", value)
		}
	case "RedrivePolicy":
		if value == "" {
			return nil
		}
		var v struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		}
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			return errInvalid("RedrivePolicy: failed to parse JSON")
		}
		if _, ok := parseARN(v.DeadLetterTargetArn, "sqs"); !ok {
			return errInvalid("RedrivePolicy: deadLetterTargetArn must be an Amazon SQS queue ARN")
		}
	case "DeliveryPolicy", "ReplayPolicy":
		if value != "" && !isJSONObject() {
			return errInvalid("%s: failed to parse JSON", name)
		}
		if name == "DeliveryPolicy" && proto != "http" && proto != "https" {
			return errInvalid("Attributes Reason: DeliveryPolicy: Delivery protocol [%s] does not support delivery policies", proto)
		}
	case "SubscriptionRoleArn":
		if value != "" && !strings.HasPrefix(value, "arn:") {
			return errInvalid("SubscriptionRoleArn")
		}
	}
	return nil
}

// validFilterPolicy checks the shape of a filter policy: attribute names
// map to arrays of matchers, or (for MessageBody scope) to nested objects.
func validFilterPolicy(v map[string]any, depth int) error {
	if depth > 5 {
		return errInvalid("Filter policy is too deeply nested")
	}
	if len(v) == 0 {
		return errInvalid("Filter policy can not be empty")
	}
	for k, x := range v {
		switch t := x.(type) {
		case []any:
			if len(t) == 0 {
				return errInvalid("Empty arrays are not allowed (attribute %s)", k)
			}
		case map[string]any:
			if err := validFilterPolicy(t, depth+1); err != nil {
				return err
			}
		default:
			return errInvalid("%s: the value must be an array or an object", k)
		}
	}
	return nil
}

type subscribeResult struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
}

func (s *Service) subscribe(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	topicARN := form.Get("TopicArn")
	proto := form.Get("Protocol")
	endpoint := form.Get("Endpoint")
	attrs := readMap(form, "Attributes")
	returnARN := form.Get("ReturnSubscriptionArn") == "true"
	if err := s.topicARN("TopicArn", topicARN); err != nil {
		return nil, err
	}
	pendingProto, ok := protocols[proto]
	if !ok {
		return nil, errInvalid("Amazon SNS does not support this protocol string: %s", proto)
	}
	if endpoint == "" {
		return nil, errInvalid("Endpoint")
	}
	if err := validEndpoint(proto, endpoint); err != nil {
		return nil, err
	}
	for k, v := range attrs {
		if err := validateSubscriptionAttribute(k, v, proto); err != nil {
			return nil, err
		}
	}
	if proto == "firehose" && attrs["SubscriptionRoleArn"] == "" {
		return nil, errInvalid("Attributes Reason: SubscriptionRoleArn is required for firehose subscriptions")
	}
	var result string
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := s.getTopic(tx, topicARN)
		if err != nil {
			return err
		}
		if t.FIFO && proto != "sqs" && proto != "firehose" {
			return errInvalid("Invalid protocol type: %s (FIFO topics deliver to Amazon SQS queues and Firehose only)", proto)
		}
		subs, err := listSubscriptionDocs(tx, topicARN+":")
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if sub.Protocol != proto || sub.Endpoint != endpoint {
				continue
			}
			// The same subscription again: AWS returns the existing one,
			// unless its attributes differ.
			for k, v := range attrs {
				if sub.Attributes[k] != v {
					return errInvalid("Attributes Reason: Subscription already exists with different attributes")
				}
			}
			result = sub.ARN
			if sub.Pending && !returnARN {
				result = "pending confirmation"
			}
			return nil
		}
		sub := subscriptionDoc{
			ARN: topicARN + ":" + newUUID(), TopicARN: topicARN, Protocol: proto, Endpoint: endpoint,
			Pending: pendingProto, Attributes: map[string]string{}, Created: s.env.Now().UTC(),
		}
		if pendingProto {
			sub.Token = randomHex(64)
		}
		for k, v := range attrs {
			setSubscriptionAttr(&sub, k, v)
		}
		if err := tx.Put(nsSubscription, sub.ARN, sub); err != nil {
			return err
		}
		if proto == "http" || proto == "https" {
			if err := s.enqueueConfirmation(tx, sub); err != nil {
				return err
			}
		}
		result = sub.ARN
		if sub.Pending && !returnARN {
			result = "pending confirmation"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	return subscribeResult{SubscriptionArn: result}, nil
}

func setSubscriptionAttr(sub *subscriptionDoc, k, v string) {
	switch {
	case k == "FilterPolicy" && (v == "" || v == "{}"):
		delete(sub.Attributes, "FilterPolicy")
		delete(sub.Attributes, "FilterPolicyScope")
	case k == "FilterPolicy":
		sub.Attributes[k] = v
		if sub.Attributes["FilterPolicyScope"] == "" {
			sub.Attributes["FilterPolicyScope"] = "MessageAttributes"
		}
	case v == "" && k != "RawMessageDelivery":
		delete(sub.Attributes, k)
	default:
		sub.Attributes[k] = v
	}
}

// ConfirmationToken returns the confirmation token of a pending
// subscription ("" once confirmed), for tests and tools (http(s)
// endpoints also receive it in the SubscriptionConfirmation).
func ConfirmationToken(ctx context.Context, st *state.Store, subscriptionARN string) (string, error) {
	var sub subscriptionDoc
	if err := st.Get(ctx, nsSubscription, subscriptionARN, &sub); err != nil {
		return "", err
	}
	if !sub.Pending {
		return "", nil
	}
	return sub.Token, nil
}

func (s *Service) confirmSubscription(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	topicARN := form.Get("TopicArn")
	token := form.Get("Token")
	authenticate := form.Get("AuthenticateOnUnsubscribe") == "true"
	if err := s.topicARN("TopicArn", topicARN); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errInvalid("Token")
	}
	var result string
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		if _, err := s.getTopic(tx, topicARN); err != nil {
			return err
		}
		subs, err := listSubscriptionDocs(tx, topicARN+":")
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if sub.Token != token {
				continue
			}
			if sub.Pending {
				sub.Pending = false
				sub.ConfirmationWasAuthenticated = authenticate
				if err := tx.Put(nsSubscription, sub.ARN, sub); err != nil {
					return err
				}
			}
			result = sub.ARN
			return nil
		}
		return errInvalid("Token")
	})
	if err != nil {
		return nil, err
	}
	return subscribeResult{SubscriptionArn: result}, nil
}

func (s *Service) subscriptionARN(arn string) error {
	p, ok := parseARN(arn, "sns")
	if !ok {
		return errInvalid("SubscriptionArn")
	}
	topic, id, found := strings.Cut(p.resource, ":")
	if !found || topic == "" || id == "" {
		return errInvalid("SubscriptionArn")
	}
	if p.account != s.env.AccountID {
		return errSubscriptionNotFound()
	}
	return nil
}

func (s *Service) getSubscription(tx *state.Tx, arn string) (subscriptionDoc, error) {
	var sub subscriptionDoc
	if err := s.subscriptionARN(arn); err != nil {
		return sub, err
	}
	if err := tx.Get(nsSubscription, arn, &sub); err != nil {
		if service.IsNotFound(err) {
			return sub, errSubscriptionNotFound()
		}
		return sub, err
	}
	return sub, nil
}

func (s *Service) unsubscribe(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	arn := form.Get("SubscriptionArn")
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		sub, err := s.getSubscription(tx, arn)
		if err != nil {
			return err
		}
		if sub.Pending {
			return errInvalid("Cannot unsubscribe a subscription that is pending confirmation")
		}
		return tx.Delete(nsSubscription, arn)
	})
	return nil, err
}

func (s *Service) getSubscriptionAttributes(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	arn := form.Get("SubscriptionArn")
	var attrs map[string]string
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		sub, err := s.getSubscription(tx, arn)
		if err != nil {
			return err
		}
		attrs = map[string]string{
			"SubscriptionArn":              sub.ARN,
			"TopicArn":                     sub.TopicARN,
			"Owner":                        s.env.AccountID,
			"Protocol":                     sub.Protocol,
			"Endpoint":                     sub.Endpoint,
			"PendingConfirmation":          boolString(sub.Pending),
			"ConfirmationWasAuthenticated": boolString(sub.ConfirmationWasAuthenticated),
			"RawMessageDelivery":           "false",
			"SubscriptionPrincipal":        "arn:aws:iam::" + s.env.AccountID + ":root",
		}
		if sub.Protocol == "http" || sub.Protocol == "https" {
			var t topicDoc
			if err := tx.Get(nsTopic, sub.TopicARN, &t); err == nil {
				attrs["EffectiveDeliveryPolicy"] = s.topicAttributes(t, nil)["EffectiveDeliveryPolicy"]
			}
		}
		for k, v := range sub.Attributes {
			attrs[k] = v
		}
		if dp := sub.Attributes["DeliveryPolicy"]; dp != "" {
			attrs["EffectiveDeliveryPolicy"] = dp
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return entries(attrs), nil
}

func (s *Service) setSubscriptionAttributes(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	arn := form.Get("SubscriptionArn")
	name := form.Get("AttributeName")
	value := form.Get("AttributeValue")
	if name == "" {
		return nil, errInvalid("AttributeName")
	}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		sub, err := s.getSubscription(tx, arn)
		if err != nil {
			return err
		}
		if err := validateSubscriptionAttribute(name, value, sub.Protocol); err != nil {
			return err
		}
		if name == "FilterPolicyScope" {
			if fp := sub.Attributes["FilterPolicy"]; fp != "" && value == "MessageAttributes" {
				var v map[string]any
				_ = json.Unmarshal([]byte(fp), &v)
				for _, x := range v {
					if _, nested := x.(map[string]any); nested {
						return errInvalid("Filter policy scope MessageAttributes does not support nested filter policy")
					}
				}
			}
		}
		if sub.Attributes == nil {
			sub.Attributes = map[string]string{}
		}
		setSubscriptionAttr(&sub, name, value)
		return tx.Put(nsSubscription, arn, sub)
	})
	return nil, err
}

func listSubscriptionDocs(tx *state.Tx, prefix string) ([]subscriptionDoc, error) {
	es, err := tx.List(state.ListParams{NS: nsSubscription, Prefix: prefix})
	if err != nil {
		return nil, err
	}
	out := make([]subscriptionDoc, 0, len(es))
	for _, e := range es {
		var sub subscriptionDoc
		if err := json.Unmarshal(e.Value, &sub); err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, nil
}

type subscriptionMember struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

type listSubscriptionsResult struct {
	Subscriptions []subscriptionMember `xml:"Subscriptions>member"`
	NextToken     string               `xml:"NextToken,omitempty"`
}

func (s *Service) listSubscriptions(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	return s.listSubs(ctx, s.env.ARN("sns", s.env.RegionOf(r), ""), "", form.Get("NextToken"))
}

func (s *Service) listSubscriptionsByTopic(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	topicARN := form.Get("TopicArn")
	if err := s.topicARN("TopicArn", topicARN); err != nil {
		return nil, err
	}
	return s.listSubs(ctx, topicARN+":", topicARN, form.Get("NextToken"))
}

func (s *Service) listSubs(ctx context.Context, prefix, topicARN, token string) (any, error) {
	after, err := pageToken(token, prefix)
	if err != nil {
		return nil, err
	}
	out := listSubscriptionsResult{Subscriptions: []subscriptionMember{}}
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		if topicARN != "" {
			if _, err := s.getTopic(tx, topicARN); err != nil {
				return err
			}
		}
		es, err := tx.List(state.ListParams{NS: nsSubscription, Prefix: prefix, After: after, Limit: pageSize + 1})
		if err != nil {
			return err
		}
		for i, e := range es {
			if i == pageSize {
				out.NextToken = encodeToken(es[i-1].Key)
				break
			}
			var sub subscriptionDoc
			if err := json.Unmarshal(e.Value, &sub); err != nil {
				return err
			}
			arn := sub.ARN
			if sub.Pending {
				arn = "PendingConfirmation"
			}
			out.Subscriptions = append(out.Subscriptions, subscriptionMember{
				SubscriptionArn: arn, Owner: s.env.AccountID, Protocol: sub.Protocol, Endpoint: sub.Endpoint, TopicArn: sub.TopicARN,
			})
		}
		return nil
	})
	return out, err
}
