package remediate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults of the optional settings.
const (
	DefaultEscalateAfter = 10 * time.Minute
	DefaultRetryAfter    = 3 * time.Minute
	DefaultMaxStops      = 1
	DefaultMinHealthy    = 2
)

// namespaceRe is what CloudWatch accepts as a namespace.
var namespaceRe = regexp.MustCompile(`^[0-9A-Za-z._\-/#: ]{1,255}$`)

// Config is the remediator's configuration, read from the function's
// environment. The remediation module sets the first six; the rest are
// optional.
type Config struct {
	Cluster         string // CLUSTER: the ECS cluster of the service
	Service         string // SERVICE: the ECS service whose tasks are replaced
	TargetGroupARN  string // TARGET_GROUP_ARN: the service's target group
	PagerTopicARN   string // PAGER_TOPIC_ARN: where escalations go
	MaxAttempts     int    // MAX_ATTEMPTS: task stops per alarm episode before escalating (1–10)
	AlarmNamePrefix string // ALARM_NAME_PREFIX: only alarms named so are acted on

	// EscalateAfter (ESCALATE_AFTER, a Go duration, default 10m): an
	// episode still in ALARM this long after it began is escalated.
	EscalateAfter time.Duration
	// RetryAfter (RETRY_AFTER, default 3m): the time a stop is given to
	// work before the next stop for the same episode, or before
	// escalating once MaxAttempts stops are spent.
	RetryAfter time.Duration
	// MaxStops (MAX_STOPS, default 1): tasks stopped per invocation.
	MaxStops int
	// MinHealthy (MIN_HEALTHY, default 2): healthy tasks that must be
	// serving before any bad one is stopped, capped at desired count − 1.
	MinHealthy int
	// LedgerLogGroup (ESCALATION_LOG_GROUP, default the function's own log
	// group from AWS_LAMBDA_LOG_GROUP_NAME): where the once-per-episode
	// escalation marks are kept as log streams.
	LedgerLogGroup string
	// AppMetricsNamespace (APP_METRICS_NAMESPACE, optional): the namespace
	// of the app's per-task metrics (RequestCount and HTTPCode_5XX_Count
	// with dimensions ClusterName, ServiceName, TaskId). For a 5xx alarm
	// with no task bad by its health, the remediator looks there for the
	// task whose 5xx share stands out; without it, it escalates saying so.
	AppMetricsNamespace string
}

// ConfigFromEnv reads and validates the configuration. getenv is
// os.Getenv in the function. Every problem is reported, each naming its
// variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Cluster:         strings.TrimSpace(getenv("CLUSTER")),
		Service:         strings.TrimSpace(getenv("SERVICE")),
		TargetGroupARN:  strings.TrimSpace(getenv("TARGET_GROUP_ARN")),
		PagerTopicARN:   strings.TrimSpace(getenv("PAGER_TOPIC_ARN")),
		AlarmNamePrefix: getenv("ALARM_NAME_PREFIX"),
		EscalateAfter:   DefaultEscalateAfter,
		RetryAfter:      DefaultRetryAfter,
		MaxStops:        DefaultMaxStops,
		MinHealthy:      DefaultMinHealthy,
		LedgerLogGroup:  strings.TrimSpace(getenv("ESCALATION_LOG_GROUP")),

		AppMetricsNamespace: strings.TrimSpace(getenv("APP_METRICS_NAMESPACE")),
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	for _, v := range []struct{ name, val string }{
		{"CLUSTER", c.Cluster}, {"SERVICE", c.Service}, {"TARGET_GROUP_ARN", c.TargetGroupARN},
		{"PAGER_TOPIC_ARN", c.PagerTopicARN}, {"MAX_ATTEMPTS", getenv("MAX_ATTEMPTS")}, {"ALARM_NAME_PREFIX", c.AlarmNamePrefix},
	} {
		if strings.TrimSpace(v.val) == "" {
			bad(v.name, "not set (the remediation module sets it on the function)")
		}
	}
	if c.TargetGroupARN != "" && (!strings.HasPrefix(c.TargetGroupARN, "arn:") || !strings.Contains(c.TargetGroupARN, ":elasticloadbalancing:") || !strings.Contains(c.TargetGroupARN, ":targetgroup/")) {
		bad("TARGET_GROUP_ARN", "%q is not a target group ARN (arn:aws:elasticloadbalancing:…:targetgroup/…)", c.TargetGroupARN)
	}
	if c.PagerTopicARN != "" && (!strings.HasPrefix(c.PagerTopicARN, "arn:") || !strings.Contains(c.PagerTopicARN, ":sns:")) {
		bad("PAGER_TOPIC_ARN", "%q is not an SNS topic ARN (arn:aws:sns:…)", c.PagerTopicARN)
	}
	if c.AlarmNamePrefix != "" && len(c.AlarmNamePrefix) < 3 {
		bad("ALARM_NAME_PREFIX", "%q is shorter than 3 characters: it would act on other systems' alarms", c.AlarmNamePrefix)
	}
	if ns := c.AppMetricsNamespace; ns != "" && (!namespaceRe.MatchString(ns) || strings.HasPrefix(ns, "AWS/")) {
		bad("APP_METRICS_NAMESPACE", "%q is not a namespace of custom metrics (1-255 of letters, digits and . - _ / # : space; not starting with AWS/)", ns)
	}
	intVar := func(name string, dst *int, lo, hi int) {
		s := strings.TrimSpace(getenv(name))
		if s == "" {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			bad(name, "%q is not a whole number from %d to %d", s, lo, hi)
			return
		}
		*dst = n
	}
	intVar("MAX_ATTEMPTS", &c.MaxAttempts, 1, 10)
	intVar("MAX_STOPS", &c.MaxStops, 1, 10)
	intVar("MIN_HEALTHY", &c.MinHealthy, 0, 100)
	durVar := func(name string, dst *time.Duration) {
		s := strings.TrimSpace(getenv(name))
		if s == "" {
			return
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			bad(name, "%q is not a positive duration such as 10m or 90s", s)
			return
		}
		*dst = d
	}
	durVar("ESCALATE_AFTER", &c.EscalateAfter)
	durVar("RETRY_AFTER", &c.RetryAfter)
	if c.LedgerLogGroup == "" {
		c.LedgerLogGroup = strings.TrimSpace(getenv("AWS_LAMBDA_LOG_GROUP_NAME"))
	}
	if c.LedgerLogGroup == "" {
		bad("ESCALATION_LOG_GROUP", "not set, and AWS_LAMBDA_LOG_GROUP_NAME (which Lambda sets) is empty too: name the log group that keeps escalation marks")
	}
	if len(errs) > 0 {
		return c, &ConfigError{Errs: errs}
	}
	return c, nil
}

// ConfigError lists what is wrong with the function's environment.
type ConfigError struct {
	Errs []error
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		parts[i] = err.Error()
	}
	return "vigil-remediator is misconfigured, fix the function's environment (remediation module): " + strings.Join(parts, "; ")
}

// Unwrap lets errors.Is and errors.As see each problem.
func (e *ConfigError) Unwrap() []error { return e.Errs }
