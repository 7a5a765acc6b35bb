package devenv_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/vigil-sre/vigil/internal/testutil/devenv"
)

// TestAppliedIsACleanDevEnvironment: a copy of the snapshot, on a sandbox
// at a new address, holds the dev environment's resources, and vigil finds
// it in sync with the code (no drift, nothing pending).
func TestAppliedIsACleanDevEnvironment(t *testing.T) {
	e := devenv.Applied(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cw := cloudwatch.NewFromConfig(e.AWSConfig())
	alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms.MetricAlarms) == 0 {
		t.Error("the applied dev environment has no CloudWatch alarms")
	}
	clusters, err := ecs.NewFromConfig(e.AWSConfig()).ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(clusters.ClusterArns) == 0 {
		t.Error("the applied dev environment has no ECS cluster")
	}

	out, err := e.Command(ctx, "drift", "--env", devenv.EnvName).CombinedOutput()
	if err != nil {
		t.Fatalf("vigil drift on a fresh copy: %v\n%s", err, out)
	}
	if !strings.Contains(strings.ToLower(string(out)), "no drift") {
		t.Errorf("vigil drift on a fresh copy does not say there is no drift:\n%s", out)
	}
}
