package canary

import (
	"fmt"
	"time"
)

// Settings is the `canaries { … }` block of vigil.hcl: how the canaries
// declared in `canary "name" { … }` blocks run.
//
//	canaries {
//	  concurrency = 32   # checks in flight at most
//	  jitter      = "1s" # random delay past each slot, at most
//	  cloudwatch {
//	    environment = "dev"          # whose target (sandbox or account) gets PutMetricData
//	    namespace   = "vigil/Canary" # default
//	    flush_every = "1m"           # batch; "0s" sends each result at once
//	  }
//	}
type Settings struct {
	Concurrency *int                `hcl:"concurrency,optional"`
	Jitter      string              `hcl:"jitter,optional"`
	CloudWatch  *CloudWatchSettings `hcl:"cloudwatch,block"`
}

// CloudWatchSettings is the cloudwatch block of Settings.
type CloudWatchSettings struct {
	Environment string `hcl:"environment,optional"`
	Namespace   string `hcl:"namespace,optional"`
	FlushEvery  string `hcl:"flush_every,optional"`
}

// RunnerOptions converts the settings (the caller adds clock, sinks and
// notifier).
func (s *Settings) RunnerOptions() (RunnerOptions, error) {
	var o RunnerOptions
	if s == nil {
		return o, nil
	}
	if s.Concurrency != nil {
		if *s.Concurrency < 1 || *s.Concurrency > 10_000 {
			return o, fmt.Errorf("canaries: concurrency must be 1 to 10000, not %d", *s.Concurrency)
		}
		o.Concurrency = *s.Concurrency
	}
	if s.Jitter != "" {
		d, err := time.ParseDuration(s.Jitter)
		if err != nil || d < 0 {
			return o, fmt.Errorf("canaries: jitter %q is not a duration (like \"1s\"; \"0s\" for none)", s.Jitter)
		}
		o.Jitter = d
		if d == 0 {
			o.Jitter = -1
		}
	}
	return o, nil
}

// CloudWatchOptions converts the cloudwatch block (nil when there is
// none: no CloudWatch metrics).
func (s *Settings) CloudWatchOptions() (*CloudWatchOptions, error) {
	if s == nil || s.CloudWatch == nil {
		return nil, nil
	}
	o := &CloudWatchOptions{Namespace: s.CloudWatch.Namespace, FlushEvery: time.Minute}
	if s.CloudWatch.FlushEvery != "" {
		d, err := time.ParseDuration(s.CloudWatch.FlushEvery)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("canaries: cloudwatch: flush_every %q is not a duration", s.CloudWatch.FlushEvery)
		}
		o.FlushEvery = d
	}
	return o, nil
}
