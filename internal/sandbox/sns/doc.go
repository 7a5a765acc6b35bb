// Package sns is the sandbox's Amazon SNS (query protocol, XML namespace
// http://sns.amazonaws.com/doc/2010-03-31/, signing name "sns").
//
// It serves what the Terraform provider calls for aws_sns_topic,
// aws_sns_topic_policy and aws_sns_topic_subscription, and what SDK users
// call to publish.
//
// # Topics
//
// CreateTopic is idempotent (the same name returns the same ARN, unless
// the attributes or tags asked for differ: InvalidParameter). Attributes
// are validated one by one (FIFO-only ones, JSON documents, enumerations)
// and GetTopicAttributes returns the full map AWS returns: TopicArn,
// Owner, Policy (AWS's default policy, whose principal "*" is limited to
// the owning account by AWS:SourceOwner, until one is set), DisplayName,
// the Subscriptions{Confirmed,Pending,Deleted} counts,
// EffectiveDeliveryPolicy, and the attributes set. DeleteTopic of a topic
// that does not exist succeeds, as on AWS; it removes the topic's
// subscriptions and message log.
//
// # Subscriptions
//
// sqs, lambda, firehose, sms and application subscriptions are confirmed
// at once; email, email-json, http and https ones are pending, with a
// stored confirmation token (ConfirmationToken) that ConfirmSubscription
// accepts. http(s) endpoints are sent a signed SubscriptionConfirmation
// (delivery.go) and confirm with ConfirmSubscription or by GETting its
// SubscribeURL; e-mail endpoints are never sent one, so they stay pending. A pending subscription cannot be unsubscribed
// (InvalidParameter, which the provider tolerates); it goes with its
// topic. ReturnSubscriptionArn returns the ARN of a pending subscription
// instead of "pending confirmation".
//
// # Publishing
//
// Publish and PublishBatch validate as AWS does (message size, subject,
// MessageStructure json with a default entry, message attributes, FIFO
// group and deduplication ids with a five-minute deduplication window) and
// append each message durably to its topic's log, which Messages reads.
// Publishing to phone numbers and platform endpoints answers
// NotImplemented.
//
// # Delivery
//
// In the publishing transaction, each confirmed subscription whose filter
// policy the message passes (filter.go: EventBridge pattern syntax over
// the attributes or the body) gets a delivery job (package queue). http and
// https endpoints receive the SNS envelope with a SignatureVersion 1
// signature (SHA1withRSA; the certificate is served at SigningCertURL) and
// the x-amz-sns-* headers, or the bare message under RawMessageDelivery;
// 5xx, 429 and network errors are retried per the delivery policy
// (default: three retries 20 s apart, on the virtual clock), other
// statuses fail. lambda endpoints are invoked asynchronously with the
// Records[].Sns event. Other protocols (email, sms, sqs, firehose,
// application) are accepted at Subscribe but not delivered: each delivery
// is recorded as failed, saying so. Hosts of reserved example and test
// domains are never contacted. Deliveries lists the outcomes.
//
// # Errors
//
// NotFound (404) for missing topics and subscriptions, InvalidParameter
// (400) for bad input, AuthorizationError (403) for a topic ARN of another
// account, ResourceNotFound (404) for tagging something that is not a
// topic, TagLimitExceeded, and the batch errors of PublishBatch.
package sns
