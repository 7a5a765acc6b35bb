package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/driftalert"
	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/target"
)

// ciDriftAlerts are the firing alerts of a drift report: one per drifted
// stack and one for the unmanaged resources, with the keys vigil serve
// uses (drift/ENV/LAYER, drift/ENV/unmanaged), so a store both share
// dedupes them. runURL links the workflow run ("" for none).
func ciDriftAlerts(cfg *config.Config, rep *drift.Report, runURL string) []alert.Alert {
	if rep == nil {
		return nil
	}
	runbook := cfg.Drift.Runbook
	if runbook == "" {
		runbook = config.DefaultDriftRunbook
	}
	o := driftalert.Options{Source: "vigil ci", Runbook: runbook, FirstStep: cfg.Drift.FirstStep, URL: runURL, StartsAt: rep.StartedAt}
	var out []alert.Alert
	for _, sr := range rep.Stacks {
		if live := driftalert.Live(sr.Drift); len(live) > 0 {
			out = append(out, driftalert.Stack(rep.Env, sr.Stack, live, o))
		}
	}
	if live := driftalert.Live(rep.Unmanaged.Findings); len(live) > 0 {
		out = append(out, driftalert.Unmanaged(rep.Env, live, o))
	}
	return out
}

// ciAlertResult is what sending the drift alerts did, for the summary.
type ciAlertResult struct {
	// Skipped says why nothing was sent ("" when the alerts block was used).
	Skipped string
	// Lines are one Markdown list item per alert.
	Lines []string
	// Sent counts alerts at least one receiver took; Failed those some
	// receiver did not.
	Sent, Failed int
}

// sendDriftAlerts routes alerts through the sinks of vigil.hcl's alerts
// block. Without the block it sends nothing and says so. Dedupe state is
// this run's own (a CI job keeps no store between runs), so each run that
// finds drift notifies; a clean run sends nothing, resolves included.
func sendDriftAlerts(ctx context.Context, cfg *config.Config, alerts []alert.Alert, o alert.BuildOptions) (ciAlertResult, error) {
	var res ciAlertResult
	if len(alerts) == 0 {
		return res, nil
	}
	if cfg.Alerts == nil {
		res.Skipped = fmt.Sprintf("%s has no alerts block: no sink was notified (the failed job and this summary are the alert; docs/alerts.md shows how to add Slack, PagerDuty, a webhook or SNS).", config.FileName)
		return res, nil
	}
	d, err := alert.Build(ctx, *cfg.Alerts, prometheus.NewRegistry(), o)
	if err != nil {
		return res, fmt.Errorf("alerts block: %w", err)
	}
	var errs []error
	for _, a := range alerts {
		r, err := d.Dispatch(ctx, a)
		where := a.Stack
		if where == "" {
			where = a.Environment + " (unmanaged resources)"
		}
		line := fmt.Sprintf("- `%s`: ", where)
		if sent := r.Sent(); len(sent) > 0 {
			res.Sent++
			line += "sent to " + strings.Join(sent, ", ")
		} else if err == nil {
			line += "no route matched: no receiver"
		}
		if err != nil {
			res.Failed++
			errs = append(errs, err)
			if len(r.Sent()) > 0 {
				line += "; "
			}
			line += "**not delivered:** " + err.Error()
		}
		res.Lines = append(res.Lines, line)
	}
	return res, errors.Join(errs...)
}

// envAWSConfig is the AWS configuration of an environment's target: the
// sandbox running for the repository (never a new one), or the default
// credential chain (in CI, the role the job assumed) in its region.
func envAWSConfig(ctx context.Context, cfg *config.Config, env config.Environment) (aws.Config, error) {
	if env.Target == config.TargetSandbox {
		info, ok := sandbox.Running(ctx, target.SandboxDataDir(cfg))
		if !ok {
			return aws.Config{}, fmt.Errorf("%s targets the sandbox and none runs for this repository (start it with vigil sandbox start or vigil serve)", env.Name)
		}
		return aws.Config{Region: env.Region, BaseEndpoint: aws.String(info.URL),
			Credentials: credentials.NewStaticCredentialsProvider(sandbox.AccessKeyID, sandbox.SecretAccessKey, "")}, nil
	}
	return awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(env.Region))
}
