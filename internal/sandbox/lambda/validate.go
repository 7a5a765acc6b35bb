package lambda

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/iam"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// runtimes is the Runtime enumeration of the Lambda API.
var runtimes = []string{
	"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
	"nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "java8", "java8.al2", "java11", "java17", "java21",
	"java25", "python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "python3.10", "python3.11",
	"python3.12", "python3.13", "python3.14", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1",
	"dotnet6", "dotnet8", "dotnet10", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7", "ruby3.2", "ruby3.3",
	"ruby3.4", "provided", "provided.al2", "provided.al2023",
}

// blockedRuntimes can no longer be used to create or update functions.
var blockedRuntimes = map[string]bool{
	"nodejs": true, "nodejs4.3": true, "nodejs4.3-edge": true, "nodejs6.10": true, "nodejs8.10": true,
	"nodejs10.x": true, "nodejs12.x": true, "python2.7": true, "python3.6": true, "dotnetcore1.0": true,
	"dotnetcore2.0": true, "dotnetcore2.1": true, "ruby2.5": true, "go1.x": true,
}

func validateRuntime(rt string) error {
	if !slices.Contains(runtimes, rt) {
		return errValidation("runtime", "Member must satisfy enum value set: ["+strings.Join(runtimes, ", ")+"]", rt)
	}
	if blockedRuntimes[rt] {
		return errInvalid("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.", rt)
	}
	return nil
}

var (
	roleARNRE   = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	handlerRE   = regexp.MustCompile(`^[^\s]{1,128}$`)
	envKeyRE    = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
	logGroupRE  = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)
	arnRE       = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:([a-zA-Z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$`)
	subnetRE    = regexp.MustCompile(`^subnet-[0-9a-z]+$`)
	secGroupRE  = regexp.MustCompile(`^sg-[0-9a-z]+$`)
	mountPathRE = regexp.MustCompile(`^/mnt/[a-zA-Z0-9-_.]+$`)
)

// reservedEnv are the environment variables Lambda sets itself.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// checkRole validates a role ARN and that IAM knows the role, inside the
// caller's transaction.
func checkRole(tx *state.Tx, role string) error {
	if !roleARNRE.MatchString(role) {
		return errValidation("role", `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`, role)
	}
	ok, err := iam.RoleExists(tx, role)
	if err != nil {
		return err
	}
	if !ok {
		return errInvalid("The role defined for the function cannot be assumed by Lambda.")
	}
	return nil
}

func checkEnvironment(env *Environment) error {
	if env == nil {
		return nil
	}
	var reserved []string
	for k := range env.Variables {
		if !envKeyRE.MatchString(k) {
			return errValidation("environment.variables", "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+", k)
		}
		if reservedEnv[k] {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		sort.Strings(reserved)
		return errInvalid("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	b, _ := json.Marshal(env.Variables)
	if len(b) > 4096 {
		return errInvalid("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", b)
	}
	return nil
}

// checkTags validates tags to add to a function (at most 50 in all).
func checkTags(existing, add map[string]string) error {
	for k, v := range add {
		if k == "" || len(k) > 128 {
			return errValidation("tags", "Member must have length between 1 and 128", k)
		}
		if len(v) > 256 {
			return errValidation("tags", "Member must have length less than or equal to 256", v)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errInvalid("Tag keys may not start with \"aws:\": %s", k)
		}
	}
	n := len(existing)
	for k := range add {
		if _, ok := existing[k]; !ok {
			n++
		}
	}
	if n > 50 {
		return errInvalid("Tags cannot exceed 50 (a function would have %d).", n)
	}
	return nil
}

// checkDestination validates an asynchronous invocation destination or
// dead-letter target ARN.
func checkDestination(arn string, services ...string) error {
	m := arnRE.FindStringSubmatch(arn)
	if m == nil || !slices.Contains(services, m[2]) {
		return errInvalid("The destination ARN %s is invalid.", arn)
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return errValidation(field, fmt.Sprintf("Member must satisfy enum value set: [%s]", strings.Join(allowed, ", ")), v)
	}
	return nil
}

func between(field string, v, lo, hi int) error {
	if v < lo {
		return errValidation(field, fmt.Sprintf("Member must have value greater than or equal to %d", lo), v)
	}
	if v > hi {
		return errValidation(field, fmt.Sprintf("Member must have value less than or equal to %d", hi), v)
	}
	return nil
}
