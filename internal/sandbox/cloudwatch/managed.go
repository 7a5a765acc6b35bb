package cloudwatch

import (
	"context"
	"time"

	"github.com/vigil-sre/vigil/internal/cwalarm"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Alarms other sandbox services manage (Application Auto Scaling's target
// tracking alarms), created, read and deleted inside the caller's own
// transaction.

// PutManagedAlarm validates and stores a metric alarm in tx, as
// PutMetricAlarm does (a new alarm starts INSUFFICIENT_DATA, an update
// keeps its state), with a ConfigurationUpdate history item.
func PutManagedAlarm(tx *state.Tx, env service.Env, region string, in *PutMetricAlarmInput) error {
	if err := validateMetricAlarm(in); err != nil {
		return err
	}
	return putMetricAlarmTx(tx, env, region, in, env.Now().UTC().Truncate(time.Millisecond))
}

// DeleteManagedAlarms deletes the named alarms in tx; names that do not
// exist are skipped.
func DeleteManagedAlarms(tx *state.Tx, region string, names []string) error {
	for _, n := range names {
		if err := tx.Delete(nsAlarm, alarmKey(region, n)); err != nil && !service.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// GetMetricAlarm reads a metric alarm in tx (nil when there is none).
func GetMetricAlarm(tx *state.Tx, region, name string) (*MetricAlarm, error) {
	var doc alarmDoc
	if err := tx.Get(nsAlarm, alarmKey(region, name), &doc); err != nil {
		if service.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return doc.Metric, nil
}

// AlarmWindow reads a metric alarm and the datapoints of its evaluation
// range ending at now (oldest first; Present false where a period has no
// data), as the evaluator sees them. The alarm is nil when it does not
// exist. Metric math alarms return no datapoints.
func AlarmWindow(tx *state.Tx, region, name string, now time.Time) (*MetricAlarm, []cwalarm.Point, error) {
	var doc alarmDoc
	if err := tx.Get(nsAlarm, alarmKey(region, name), &doc); err != nil {
		if service.IsNotFound(err) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	if doc.Metric == nil {
		return nil, nil, nil
	}
	m := doc.Metric
	if len(m.Metrics) > 0 {
		return m, nil, nil
	}
	cfg, err := alarmConfig(m, alarmPeriod(m))
	if err != nil {
		return m, nil, nil
	}
	w, err := metricWindow(tx, region, m, &cfg, now.UTC())
	return m, w, err
}

// AfterEvaluation registers f to run after each evaluation instant, once
// its changes are committed and handed to the action sink, in the clock's
// goroutine (Application Auto Scaling repeats its policies from there while
// their alarms stay in ALARM). Call it before Start.
func (e *Evaluator) AfterEvaluation(f func(ctx context.Context, now time.Time)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.after = append(e.after, f)
}
