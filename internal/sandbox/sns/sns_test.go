package sns_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/sandbox/sns"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

func newClient(t *testing.T) (*awssns.Client, *sandboxtest.Sandbox) {
	t.Helper()
	sb := sandboxtest.Start(t)
	return awssns.NewFromConfig(sb.AWSConfig()), sb
}

func wantCode[T error](t *testing.T, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("want %T, got %T: %v", typed, err, err)
	}
}

// openState opens the sandbox's state beside the running server (SQLite
// in WAL mode takes a second connection) to read what has no API yet.
func openState(t *testing.T, sb *sandboxtest.Sandbox) *state.Store {
	t.Helper()
	st, err := state.Open(sb.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestTopics(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	kms := "arn:aws:kms:us-east-1:123456789012:key/abc"
	out, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("pager"),
		Attributes: map[string]string{"KmsMasterKeyId": kms, "DisplayName": "Pager"},
		Tags:       []types.Tag{{Key: aws.String("team"), Value: aws.String("sre")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TopicArn)
	if arn != "arn:aws:sns:us-east-1:123456789012:pager" {
		t.Fatalf("TopicArn = %s", arn)
	}
	// Idempotent create; different attributes or tags are refused.
	again, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("pager"), Attributes: map[string]string{"KmsMasterKeyId": kms}})
	if err != nil || aws.ToString(again.TopicArn) != arn {
		t.Fatalf("second CreateTopic = %v, %v", again, err)
	}
	_, err = c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("pager"), Attributes: map[string]string{"DisplayName": "Other"}})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	_, err = c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("pager"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("other")}}})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	for _, bad := range []awssns.CreateTopicInput{
		{Name: aws.String("bad name")},
		{Name: aws.String("orders.fifo")},
		{Name: aws.String("orders"), Attributes: map[string]string{"FifoTopic": "true"}},
		{Name: aws.String("x"), Attributes: map[string]string{"NoSuchAttribute": "1"}},
		{Name: aws.String("x"), Attributes: map[string]string{"Policy": "{not json"}},
		{Name: aws.String("x"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}},
	} {
		_, err := c.CreateTopic(ctx, &bad)
		wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	}

	attrs, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	a := attrs.Attributes
	for k, want := range map[string]string{"TopicArn": arn, "Owner": "123456789012", "DisplayName": "Pager", "KmsMasterKeyId": kms,
		"SubscriptionsConfirmed": "0", "SubscriptionsPending": "0", "SubscriptionsDeleted": "0"} {
		if a[k] != want {
			t.Errorf("%s = %q, want %q", k, a[k], want)
		}
	}
	var policy struct {
		Statement []struct {
			Principal struct{ AWS string }
			Resource  string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(a["Policy"]), &policy); err != nil || len(policy.Statement) != 1 ||
		policy.Statement[0].Resource != arn || policy.Statement[0].Condition["StringEquals"]["AWS:SourceOwner"] != "123456789012" {
		t.Errorf("default policy = %s (%v)", a["Policy"], err)
	}
	if !json.Valid([]byte(a["EffectiveDeliveryPolicy"])) {
		t.Errorf("EffectiveDeliveryPolicy = %q", a["EffectiveDeliveryPolicy"])
	}

	// SetTopicAttributes, one at a time, validated.
	policyDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sns:Publish","Resource":"` + arn + `"}]}`
	for k, v := range map[string]string{"Policy": policyDoc, "DeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}`, "KmsMasterKeyId": "", "SignatureVersion": "2"} {
		if _, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String(k), AttributeValue: aws.String(v)}); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	attrs, _ = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if attrs.Attributes["Policy"] != policyDoc || attrs.Attributes["SignatureVersion"] != "2" || attrs.Attributes["KmsMasterKeyId"] != "" ||
		!strings.Contains(attrs.Attributes["EffectiveDeliveryPolicy"], `"numRetries":5`) {
		t.Errorf("after SetTopicAttributes: %v", attrs.Attributes)
	}
	for _, bad := range [][2]string{{"FifoTopic", "true"}, {"SignatureVersion", "3"}, {"Bogus", "x"}, {"TracingConfig", "On"}} {
		_, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String(bad[0]), AttributeValue: aws.String(bad[1])})
		wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	}

	// Not found, other accounts, malformed ARNs.
	_, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:none")})
	wantCode[*types.NotFoundException](t, err, "NotFound")
	_, err = c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:none"), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("x")})
	wantCode[*types.NotFoundException](t, err, "NotFound")
	_, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String("arn:aws:sns:us-east-1:999999999999:pager")})
	wantCode[*types.AuthorizationErrorException](t, err, "AuthorizationError")
	_, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String("pager")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")

	// FIFO topics.
	fifo, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("orders.fifo"), Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	fa, _ := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: fifo.TopicArn})
	if fa.Attributes["FifoTopic"] != "true" || fa.Attributes["ContentBasedDeduplication"] != "true" {
		t.Errorf("fifo attributes %v", fa.Attributes)
	}

	// ListTopics pages.
	for i := 0; i < 120; i++ {
		if _, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String(fmt.Sprintf("t%03d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	n, pages := 0, 0
	p := awssns.NewListTopicsPaginator(c, &awssns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Topics)
		pages++
	}
	if n != 122 || pages != 2 {
		t.Errorf("ListTopics: %d topics in %d pages", n, pages)
	}

	// Tags.
	if _, err := c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &awssns.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags = %+v, %v", tags, err)
	}
	_, err = c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:sns:us-east-1:123456789012:none")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFound")
	var many []types.Tag
	for i := 0; i < 51; i++ {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
	wantCode[*types.TagLimitExceededException](t, err, "TagLimitExceeded")

	// Delete, twice (the second is not an error, as on AWS).
	for i := 0; i < 2; i++ {
		if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	wantCode[*types.NotFoundException](t, err, "NotFound")
}

func TestSubscriptions(t *testing.T) {
	ctx := context.Background()
	c, sb := newClient(t)
	st := openState(t, sb)
	topic, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil {
		t.Fatal(err)
	}
	tarn := topic.TopicArn
	sub := func(proto, endpoint string, returnARN bool, attrs map[string]string) (string, error) {
		out, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: tarn, Protocol: aws.String(proto), Endpoint: aws.String(endpoint),
			ReturnSubscriptionArn: returnARN, Attributes: attrs})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.SubscriptionArn), nil
	}
	email, err := sub("email", "oncall@example.com", false, nil)
	if err != nil || email != "pending confirmation" {
		t.Fatalf("email Subscribe = %q, %v", email, err)
	}
	httpsARN, err := sub("https", "https://events.example.com/hook", true, nil)
	if err != nil || !strings.HasPrefix(httpsARN, aws.ToString(tarn)+":") {
		t.Fatalf("https Subscribe = %q, %v", httpsARN, err)
	}
	sqsARN, err := sub("sqs", "arn:aws:sqs:us-east-1:123456789012:q", false, map[string]string{"RawMessageDelivery": "true",
		"FilterPolicy": `{"severity":["critical"]}`})
	if err != nil || !strings.HasPrefix(sqsARN, "arn:") {
		t.Fatalf("sqs Subscribe = %q, %v", sqsARN, err)
	}
	lambdaARN, err := sub("lambda", "arn:aws:lambda:us-east-1:123456789012:function:f", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The same subscription again returns the same ARN.
	if again, _ := sub("lambda", "arn:aws:lambda:us-east-1:123456789012:function:f", false, nil); again != lambdaARN {
		t.Errorf("re-subscribe = %q, want %q", again, lambdaARN)
	}
	for _, bad := range [][2]string{{"carrier-pigeon", "x"}, {"https", "http://plain.example.com"}, {"email", "not-an-address"},
		{"sqs", "arn:aws:sns:us-east-1:123456789012:q"}, {"lambda", "arn:aws:lambda:us-east-1:123456789012:layer:x"}} {
		_, err := sub(bad[0], bad[1], false, nil)
		wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	}
	_, err = sub("email", "a@example.com", false, map[string]string{"RawMessageDelivery": "true"})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	_, err = c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:none"), Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:q")})
	wantCode[*types.NotFoundException](t, err, "NotFound")

	attrs, _ := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: tarn})
	if attrs.Attributes["SubscriptionsPending"] != "2" || attrs.Attributes["SubscriptionsConfirmed"] != "2" {
		t.Errorf("counts = %v", attrs.Attributes)
	}

	sa, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(httpsARN)})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"PendingConfirmation": "true", "Protocol": "https", "Endpoint": "https://events.example.com/hook",
		"TopicArn": aws.ToString(tarn), "Owner": "123456789012", "RawMessageDelivery": "false", "ConfirmationWasAuthenticated": "false"} {
		if sa.Attributes[k] != want {
			t.Errorf("https %s = %q, want %q", k, sa.Attributes[k], want)
		}
	}
	if sa.Attributes["EffectiveDeliveryPolicy"] == "" {
		t.Error("https subscription without EffectiveDeliveryPolicy")
	}
	qa, _ := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sqsARN)})
	if qa.Attributes["RawMessageDelivery"] != "true" || qa.Attributes["FilterPolicyScope"] != "MessageAttributes" || qa.Attributes["PendingConfirmation"] != "false" {
		t.Errorf("sqs attributes %v", qa.Attributes)
	}

	// A pending subscription cannot be unsubscribed; once confirmed it can.
	_, err = c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(httpsARN)})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	token, err := sns.ConfirmationToken(ctx, st, httpsARN)
	if err != nil || token == "" {
		t.Fatalf("token %q, %v", token, err)
	}
	_, err = c.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: tarn, Token: aws.String("wrong")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	conf, err := c.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: tarn, Token: aws.String(token), AuthenticateOnUnsubscribe: aws.String("true")})
	if err != nil || aws.ToString(conf.SubscriptionArn) != httpsARN {
		t.Fatalf("confirm = %v, %v", conf, err)
	}
	sa, _ = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(httpsARN)})
	if sa.Attributes["PendingConfirmation"] != "false" || sa.Attributes["ConfirmationWasAuthenticated"] != "true" {
		t.Errorf("after confirm %v", sa.Attributes)
	}

	// SetSubscriptionAttributes.
	set := func(arn, name string, value *string) error {
		_, err := c.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn), AttributeName: aws.String(name), AttributeValue: value})
		return err
	}
	if err := set(sqsARN, "FilterPolicyScope", aws.String("MessageBody")); err != nil {
		t.Fatal(err)
	}
	if err := set(sqsARN, "RedrivePolicy", aws.String(`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq"}`)); err != nil {
		t.Fatal(err)
	}
	if err := set(sqsARN, "FilterPolicy", aws.String("{}")); err != nil {
		t.Fatal(err)
	}
	if err := set(sqsARN, "RedrivePolicy", nil); err != nil {
		t.Fatal(err)
	}
	qa, _ = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sqsARN)})
	if _, ok := qa.Attributes["FilterPolicy"]; ok {
		t.Errorf("FilterPolicy {} should remove it: %v", qa.Attributes)
	}
	if _, ok := qa.Attributes["RedrivePolicy"]; ok {
		t.Errorf("RedrivePolicy without value should remove it: %v", qa.Attributes)
	}
	for _, bad := range []struct{ name, value string }{{"RawMessageDelivery", "maybe"}, {"FilterPolicy", `{"a":"b"}`}, {"FilterPolicyScope", "Body"},
		{"RedrivePolicy", `{"deadLetterTargetArn":"x"}`}, {"Endpoint", "x"}} {
		wantCode[*types.InvalidParameterException](t, set(sqsARN, bad.name, aws.String(bad.value)), "InvalidParameter")
	}

	// Listing shows pending ones as PendingConfirmation.
	list, err := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: tarn})
	if err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, s := range list.Subscriptions {
		if aws.ToString(s.SubscriptionArn) == "PendingConfirmation" {
			pending++
		}
	}
	if len(list.Subscriptions) != 4 || pending != 1 {
		t.Errorf("ListSubscriptionsByTopic = %+v", list.Subscriptions)
	}
	all, _ := c.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if len(all.Subscriptions) != 4 {
		t.Errorf("ListSubscriptions = %d", len(all.Subscriptions))
	}

	if _, err := c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(lambdaARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(lambdaARN)})
	wantCode[*types.NotFoundException](t, err, "NotFound")
	_, err = c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String("pending confirmation")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")

	// Deleting the topic takes its subscriptions, pending ones included.
	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: tarn}); err != nil {
		t.Fatal(err)
	}
	all, _ = c.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if len(all.Subscriptions) != 0 {
		t.Errorf("subscriptions left after DeleteTopic: %+v", all.Subscriptions)
	}
}

func TestPublish(t *testing.T) {
	ctx := context.Background()
	c, sb := newClient(t)
	st := openState(t, sb)
	topic, _ := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("events")})
	out, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic.TopicArn, Subject: aws.String("ALARM: x"), Message: aws.String("hello"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"severity": {DataType: aws.String("String"), StringValue: aws.String("critical")},
			"count":    {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"blob":     {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2, 3}},
		}})
	if err != nil || aws.ToString(out.MessageId) == "" {
		t.Fatalf("Publish = %v, %v", out, err)
	}
	if _, err := c.Publish(ctx, &awssns.PublishInput{TargetArn: topic.TopicArn, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"plain","email":"for email"}`)}); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		in   awssns.PublishInput
		code string
	}{
		{awssns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("")}, "InvalidParameter"},
		{awssns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(strings.Repeat("x", 262145))}, "InvalidParameter"},
		{awssns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x"), Subject: aws.String("line\nbreak")}, "InvalidParameter"},
		{awssns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(`{"email":"x"}`), MessageStructure: aws.String("json")}, "InvalidParameter"},
		{awssns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "InvalidParameter"},
		{awssns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("many")}}}, "ParameterValueInvalid"},
		{awssns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:none"), Message: aws.String("x")}, "NotFound"},
	}
	for i, tt := range bad {
		_, err := c.Publish(ctx, &tt.in)
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != tt.code {
			t.Errorf("bad publish %d: want %s, got %v", i, tt.code, err)
		}
	}
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:none"), Message: aws.String("x")})
	wantCode[*types.NotFoundException](t, err, "NotFound")

	batch, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("one")},
		{Id: aws.String("b"), Message: aws.String("")},
		{Id: aws.String("c"), Message: aws.String("three"), Subject: aws.String("s")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 2 || len(batch.Failed) != 1 || aws.ToString(batch.Failed[0].Id) != "b" || aws.ToString(batch.Failed[0].Code) != "InvalidParameter" || !batch.Failed[0].SenderFault {
		t.Errorf("batch = %+v", batch)
	}
	_, err = c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("1")}, {Id: aws.String("a"), Message: aws.String("2")}}})
	wantCode[*types.BatchEntryIdsNotDistinctException](t, err, "BatchEntryIdsNotDistinct")
	var eleven []types.PublishBatchRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String("m")})
	}
	_, err = c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: eleven})
	wantCode[*types.TooManyEntriesInBatchRequestException](t, err, "TooManyEntriesInBatchRequest")
	_, err = c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{}})
	wantCode[*types.EmptyBatchRequestException](t, err, "EmptyBatchRequest")

	msgs, err := sns.Messages(ctx, st, aws.ToString(topic.TopicArn))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 || msgs[0].Message != "hello" || msgs[0].Subject != "ALARM: x" || msgs[0].MessageAttributes["count"].StringValue != "3" ||
		string(msgs[0].MessageAttributes["blob"].BinaryValue) != "\x01\x02\x03" || msgs[1].MessageStructure != "json" || msgs[3].Message != "three" {
		t.Errorf("messages = %+v", msgs)
	}

	// FIFO: group ids, deduplication, sequence numbers.
	fifo, _ := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("orders.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: fifo.TopicArn, Message: aws.String("x"), MessageDeduplicationId: aws.String("d1")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: fifo.TopicArn, Message: aws.String("x"), MessageGroupId: aws.String("g")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameter")
	p1, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: fifo.TopicArn, Message: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")})
	if err != nil || aws.ToString(p1.SequenceNumber) == "" {
		t.Fatalf("fifo publish = %+v, %v", p1, err)
	}
	p2, _ := c.Publish(ctx, &awssns.PublishInput{TopicArn: fifo.TopicArn, Message: aws.String("x again"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")})
	if aws.ToString(p2.MessageId) != aws.ToString(p1.MessageId) {
		t.Errorf("duplicate within 5 minutes got a new id")
	}
	fm, _ := sns.Messages(ctx, st, aws.ToString(fifo.TopicArn))
	if len(fm) != 1 {
		t.Errorf("fifo messages = %+v", fm)
	}
	// Deleting the topic deletes its log.
	_, _ = c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: topic.TopicArn})
	if msgs, _ := sns.Messages(ctx, st, aws.ToString(topic.TopicArn)); len(msgs) != 0 {
		t.Errorf("messages left after DeleteTopic: %d", len(msgs))
	}
}

// FuzzSNSQuery: junk query bodies get a 4xx (or 501), never a panic or a
// 500.
func FuzzSNSQuery(f *testing.F) {
	for _, seed := range []string{
		"Action=CreateTopic&Name=t&Attributes.entry.1.key=Policy&Attributes.entry.1.value=%7B",
		"Action=Subscribe&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3At&Protocol=https&Endpoint=https%3A%2F%2F%5B%3A%3A1",
		"Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3At&Message=x&MessageAttributes.entry.1.Name=n&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=%25%25",
		"Action=PublishBatch&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3At&PublishBatchRequestEntries.member.99999999999999999999.Id=a",
		"Action=SetSubscriptionAttributes&SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3At%3A&AttributeName=FilterPolicy&AttributeValue=%7B%22a%22%3A%7B%22b%22%3A%7B%22c%22%3A%7B%22d%22%3A%7B%22e%22%3A%7B%22f%22%3A%5B1%5D%7D%7D%7D%7D%7D%7D",
		"Action=ListTopics&NextToken=%00",
		"%%%",
	} {
		f.Add(seed)
	}
	sb := sandboxtest.Start(f)
	// One topic so that the fuzzer reaches past NotFound.
	form := url.Values{"Action": {"CreateTopic"}, "Name": {"t"}}
	if code := postSNS(f, sb, form.Encode()); code != 200 {
		f.Fatalf("CreateTopic: %d", code)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if code := postSNS(t, sb, body); code >= 500 && code != http.StatusNotImplemented {
			t.Fatalf("%q: status %d", body, code)
		}
	})
}

func postSNS(t testing.TB, sb *sandboxtest.Sandbox, body string) int {
	req, _ := http.NewRequest(http.MethodPost, sb.URL()+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
