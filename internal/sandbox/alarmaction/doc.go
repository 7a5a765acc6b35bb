// Package alarmaction runs what a CloudWatch alarm's change of state sets
// off in the sandbox: its Dispatcher is the cloudwatch.ActionSink the
// server installs.
//
// For each change it sends the "CloudWatch Alarm State Change" event
// (StateChangeEvent: source aws.cloudwatch, the alarm ARN as resource,
// detail with alarmName, state, previousState and configuration) to the
// region's default EventBridge bus, and runs the new state's actions: an
// SNS topic ARN gets the alarm notification AWS publishes (Subject
// `ALARM: "name" in US East (N. Virginia)`, Message the JSON document with
// AlarmName, NewStateValue, NewStateReason, Trigger, …: Subject, Message).
// SNS publishing goes through the sandbox's SNS service as a Publish
// request would (ServicePublisher); events go through events.Emit
// (EventsBus). Both sit behind small interfaces (Publisher, EventBus).
//
// Lambda function actions are invoked asynchronously with AWS's Lambda
// alarm payload (LambdaPayload) when the dispatcher has an Invoker
// (WithLambda). Not run yet (the action fails with ErrUnsupported and the
// alarm history says so): Auto Scaling policies (which AWS also repeats
// every period while the alarm stays in the state; cwalarm.Repeating lists
// them), EC2 and Systems Manager actions. Delivering SNS messages to
// subscribers and events to rule targets is the SNS and EventBridge
// services' business.
//
// # Example
//
//	d := alarmaction.New(alarmaction.ServicePublisher{SNS: snsService}, alarmaction.EventsBus{Env: env}, logger)
//	cw.SetActionSink(d)
package alarmaction
