// Command vigil-remediator is the remediation layer's Lambda function
// (M4), built as the executable bootstrap for provided.al2023 (see
// internal/remediate/build and scripts/build-remediator.sh). The logic is
// in internal/remediate; this only wires it.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/vigil-sre/vigil/internal/remediate"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	lambda.Start(handler(context.Background(), log))
}

// handler builds the remediator once per cold start. A bad environment is
// logged and fails every invocation, so the async on-failure destination
// (the pager) hears of it.
func handler(ctx context.Context, log *slog.Logger) func(context.Context, json.RawMessage) error {
	cfg, err := remediate.ConfigFromEnv(os.Getenv)
	if err != nil {
		remediate.LogIncident(ctx, log, remediate.Incident{Action: remediate.ActionConfig, Outcome: remediate.OutcomeFailed,
			Cluster: os.Getenv("CLUSTER"), Service: os.Getenv("SERVICE"), Detail: err.Error()})
		return func(context.Context, json.RawMessage) error { return err }
	}
	awsCfg, err := config.LoadDefaultConfig(ctx) // honours AWS_ENDPOINT_URL
	if err != nil {
		remediate.LogIncident(ctx, log, remediate.Incident{Action: remediate.ActionConfig, Outcome: remediate.OutcomeFailed,
			Cluster: cfg.Cluster, Service: cfg.Service, Detail: "load the AWS SDK configuration: " + err.Error()})
		return func(context.Context, json.RawMessage) error { return err }
	}
	r := remediate.New(cfg, remediate.NewClients(awsCfg), remediate.Options{Logger: log})
	return r.Handle
}
