package sandbox

import (
	"github.com/vigil-sre/vigil/internal/sandbox/autoscaling"
	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb"
	"github.com/vigil-sre/vigil/internal/sandbox/ec2"
	"github.com/vigil-sre/vigil/internal/sandbox/ecs"
	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/events"
	"github.com/vigil-sre/vigil/internal/sandbox/iam"
	"github.com/vigil-sre/vigil/internal/sandbox/kms"
	"github.com/vigil-sre/vigil/internal/sandbox/lambda"
	"github.com/vigil-sre/vigil/internal/sandbox/logs"
	"github.com/vigil-sre/vigil/internal/sandbox/s3"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/sns"
	"github.com/vigil-sre/vigil/internal/sandbox/sts"
	"github.com/vigil-sre/vigil/internal/sandbox/synthetics"
)

// newServices builds every service the sandbox serves. One line per
// service; keep it sorted.
func newServices(env service.Env) []service.Service {
	return []service.Service{
		autoscaling.New(env),
		cloudwatch.New(env),
		dynamodb.New(env),
		ec2.New(env),
		ecs.New(env),
		elbv2.New(env),
		events.New(env),
		iam.New(env),
		kms.New(env),
		lambda.New(env),
		logs.New(env),
		s3.New(env),
		sns.New(env),
		sts.New(env),
		synthetics.New(env),
	}
}
