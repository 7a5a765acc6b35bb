// Command fn is the sandbox's test Lambda function (provided.al2023,
// aws-lambda-go): it does what its event asks, so tests can exercise
// responses, errors, timeouts, crashes, logs, warm reuse and calls back
// into the sandbox through the AWS SDK.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

type request struct {
	Echo    json.RawMessage `json:"echo"`
	Fail    string          `json:"fail"`
	SleepMS int             `json:"sleep_ms"`
	Exit    *int            `json:"exit"`
	Print   string          `json:"print"`
	Publish *struct {
		Topic   string `json:"topic"`
		Message string `json:"message"`
	} `json:"publish"`
}

var invocations int

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	invocations++
	// Every event is logged, so tests can see what a function received.
	fmt.Printf("EVENT %s\n", raw)
	var req request
	_ = json.Unmarshal(raw, &req)
	if req.Print != "" {
		fmt.Println(req.Print)
		fmt.Fprintln(os.Stderr, "stderr: "+req.Print)
	}
	if req.SleepMS > 0 {
		time.Sleep(time.Duration(req.SleepMS) * time.Millisecond)
	}
	if req.Exit != nil {
		os.Exit(*req.Exit)
	}
	if req.Fail != "" {
		return nil, errors.New(req.Fail)
	}
	out := map[string]any{"invocations": invocations, "pid": os.Getpid()}
	if req.Publish != nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, err
		}
		res, err := sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(req.Publish.Topic), Message: aws.String(req.Publish.Message)})
		if err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
		out["message_id"] = aws.ToString(res.MessageId)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	dl, _ := ctx.Deadline()
	env := map[string]string{}
	for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION",
		"_HANDLER", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "GREETING"} {
		env[k] = os.Getenv(k)
	}
	out["env"] = env
	out["echo"] = req.Echo
	if lc != nil {
		out["request_id"] = lc.AwsRequestID
		out["function_arn"] = lc.InvokedFunctionArn
	}
	out["deadline_in_ms"] = time.Until(dl).Milliseconds()
	return out, nil
}

func main() { lambda.Start(handle) }
