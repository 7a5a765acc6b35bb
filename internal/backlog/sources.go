package backlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/vigil-sre/vigil/internal/remediate"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// RemediatorLogGroup is the remediator's log group of an environment, as
// the blueprint names it.
func RemediatorLogGroup(project, env string) string {
	return "/aws/lambda/" + project + "-" + env + "-remediator"
}

// LogsAPI is the part of CloudWatch Logs ReadIncidents uses.
type LogsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// ErrNoLogGroup: the remediator's log group does not exist (the
// remediation layer is not applied there).
var ErrNoLogGroup = errors.New("no such log group")

// ReadIncidents reads the remediator's incident records from its log group
// since a time, every stream, following the pages. Lines that are not
// incident records are skipped.
func ReadIncidents(ctx context.Context, logs LogsAPI, group string, since time.Time) ([]remediate.Incident, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group)}
	if !since.IsZero() {
		in.StartTime = aws.Int64(since.UnixMilli())
	}
	var out []remediate.Incident
	for page := 0; page < 10000; page++ {
		res, err := logs.FilterLogEvents(ctx, in)
		if err != nil {
			var nf *logtypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				return nil, fmt.Errorf("%w: %s", ErrNoLogGroup, group)
			}
			return nil, fmt.Errorf("read incident records from %s: %w", group, err)
		}
		for _, e := range res.Events {
			if inc, ok := remediate.ParseIncident([]byte(aws.ToString(e.Message))); ok {
				out = append(out, inc)
			}
		}
		if res.NextToken == nil || aws.ToString(res.NextToken) == aws.ToString(in.NextToken) {
			return out, nil
		}
		in.NextToken = res.NextToken
	}
	return out, nil
}

// StoreRecords are what the store says about an environment.
type StoreRecords struct {
	Applies []RunApply
	// Marks are the stacks' applies, for DriftFixedByHand.
	Marks  []ApplyMark
	Drifts []*store.DriftReport
}

// Collect reads env's applied runs (with their stacks and approvals) and
// drift reports from the store ("" every environment).
func Collect(ctx context.Context, st store.Store, env string, since time.Time) (*StoreRecords, error) {
	runs, err := st.RunList(ctx, &store.RunListParams{Env: env, Status: store.RunApplied})
	if err != nil {
		return nil, err
	}
	out := &StoreRecords{}
	for _, r := range runs {
		if r.UpdatedAt.Before(since) {
			continue
		}
		stacks, err := st.RunStackList(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		as, err := st.ApprovalListByRun(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out.Applies = append(out.Applies, RunApply{Run: r, Stacks: stacks, Approvals: as})
		for _, s := range stacks {
			if s.Status == review.StatusApplied {
				out.Marks = append(out.Marks, ApplyMark{Stack: s.Stack, At: s.UpdatedAt})
			}
		}
	}
	drifts, err := st.DriftReportList(ctx, &store.DriftReportListParams{Env: env})
	if err != nil {
		return nil, err
	}
	for _, d := range drifts {
		if !d.CheckedAt.Before(since) {
			out.Drifts = append(out.Drifts, d)
		}
	}
	return out, nil
}
