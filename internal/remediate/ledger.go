package remediate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

// LogsAPI is the part of CloudWatch Logs the escalation ledger uses.
type LogsAPI interface {
	DescribeLogStreams(ctx context.Context, in *cloudwatchlogs.DescribeLogStreamsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
}

// LedgerStreamPrefix starts the name of every escalation mark.
const LedgerStreamPrefix = "vigil-escalated/"

// Ledger records, durably in AWS, which alarm episodes were escalated, so
// "once per episode" survives cold starts, concurrent instances and
// redelivered events. A mark is a log stream in the
// function's own log group:
//
//	vigil-escalated/<episode>/<alarm name, ':' and '*' as '_'>
//
// holding one event that says what was published. Log streams are not
// managed by Terraform, so marks cause no drift (a tag on the service
// would show as drift of the workload stack), and the function's role
// already writes its log group.
type Ledger struct {
	Logs  LogsAPI
	Group string
}

// LedgerStream is the log stream name of an alarm episode's mark.
func LedgerStream(alarm, episode string) string {
	return LedgerStreamPrefix + episode + "/" + strings.NewReplacer(":", "_", "*", "_").Replace(alarm)
}

// Escalated reports whether the alarm's episode has a mark.
func (l *Ledger) Escalated(ctx context.Context, alarm, episode string) (bool, error) {
	name := LedgerStream(alarm, episode)
	in := &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(l.Group), LogStreamNamePrefix: aws.String(name)}
	for {
		out, err := l.Logs.DescribeLogStreams(ctx, in)
		if err != nil {
			return false, fmt.Errorf("read escalation marks in log group %s: %w", l.Group, err)
		}
		for _, s := range out.LogStreams {
			if aws.ToString(s.LogStreamName) == name {
				return true, nil
			}
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(in.NextToken) {
			return false, nil
		}
		in.NextToken = out.NextToken
	}
}

// Mark records the episode as escalated, with note (what was published)
// as the stream's one event. A mark that exists already is not an error.
// A failed note is reported but leaves the mark in place.
func (l *Ledger) Mark(ctx context.Context, alarm, episode, note string, at time.Time) error {
	name := LedgerStream(alarm, episode)
	_, err := l.Logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(l.Group), LogStreamName: aws.String(name)})
	var api smithy.APIError
	if err != nil && !(errors.As(err, &api) && api.ErrorCode() == "ResourceAlreadyExistsException") {
		return fmt.Errorf("record the escalation as log stream %s in %s: %w", name, l.Group, err)
	}
	_, err = l.Logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(l.Group), LogStreamName: aws.String(name),
		LogEvents: []logtypes.InputLogEvent{{Message: aws.String(note), Timestamp: aws.Int64(at.UnixMilli())}}})
	if err != nil {
		return &NoteError{Err: fmt.Errorf("write the note of escalation mark %s: %w", name, err)}
	}
	return nil
}

// NoteError is a mark made whose note could not be written: the mark
// holds, only the audit line is missing.
type NoteError struct{ Err error }

func (e *NoteError) Error() string { return e.Err.Error() }
func (e *NoteError) Unwrap() error { return e.Err }
