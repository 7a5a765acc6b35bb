package cwalarm

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// State is an alarm state.
type State string

// Alarm states.
const (
	OK               State = "OK"
	Alarm            State = "ALARM"
	InsufficientData State = "INSUFFICIENT_DATA"
)

// Valid reports whether s is one of the three states.
func (s State) Valid() bool { return s == OK || s == Alarm || s == InsufficientData }

// Operator is a ComparisonOperator.
type Operator string

// Comparison operators. The last three compare with an anomaly detection
// band (Point.Lower, Point.Upper) instead of Config.Threshold.
const (
	GreaterThanOrEqualToThreshold            Operator = "GreaterThanOrEqualToThreshold"
	GreaterThanThreshold                     Operator = "GreaterThanThreshold"
	LessThanThreshold                        Operator = "LessThanThreshold"
	LessThanOrEqualToThreshold               Operator = "LessThanOrEqualToThreshold"
	LessThanLowerOrGreaterThanUpperThreshold Operator = "LessThanLowerOrGreaterThanUpperThreshold"
	LessThanLowerThreshold                   Operator = "LessThanLowerThreshold"
	GreaterThanUpperThreshold                Operator = "GreaterThanUpperThreshold"
)

// Valid reports whether o is a comparison operator CloudWatch accepts.
func (o Operator) Valid() bool {
	switch o {
	case GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold,
		LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold:
		return true
	}
	return false
}

// Band reports whether o compares with an anomaly detection band.
func (o Operator) Band() bool {
	return o == LessThanLowerOrGreaterThanUpperThreshold || o == LessThanLowerThreshold || o == GreaterThanUpperThreshold
}

// MissingData is a TreatMissingData setting.
type MissingData string

// TreatMissingData settings.
const (
	Missing      MissingData = "missing"
	NotBreaching MissingData = "notBreaching"
	Breaching    MissingData = "breaching"
	Ignore       MissingData = "ignore"
)

// LowSample is an EvaluateLowSampleCountPercentile setting.
type LowSample string

// EvaluateLowSampleCountPercentile settings.
const (
	LowSampleEvaluate LowSample = "evaluate"
	LowSampleIgnore   LowSample = "ignore"
)

// Config is what evaluation needs of a metric alarm.
type Config struct {
	Period            time.Duration // length of one datapoint's period
	EvaluationPeriods int           // N
	DatapointsToAlarm int           // M; 0 means N
	Threshold         float64       // unused by the band operators
	Operator          Operator
	TreatMissingData  MissingData // "" means missing
	// Namespace of the metric: alarms on AWS/DynamoDB always ignore
	// missing data, whatever TreatMissingData says.
	Namespace string
	// Stat is the alarm's statistic: it names the statistic in reason data
	// and, for a percentile, drives the low-sample rule. The zero Stat (a
	// metric math alarm) is fine.
	Stat                             Stat
	EvaluateLowSampleCountPercentile LowSample // "" means evaluate
	Unit                             string    // for reason data only
}

// N is the number of evaluation periods.
func (c *Config) N() int { return c.EvaluationPeriods }

// M is the number of breaching datapoints that make the alarm go to ALARM.
func (c *Config) M() int {
	if c.DatapointsToAlarm <= 0 {
		return c.EvaluationPeriods
	}
	return c.DatapointsToAlarm
}

// Treatment is the missing-data treatment that applies: TreatMissingData,
// missing when unset, and ignore for AWS/DynamoDB metrics.
func (c *Config) Treatment() MissingData {
	if c.Namespace == "AWS/DynamoDB" {
		return Ignore
	}
	if c.TreatMissingData == "" {
		return Missing
	}
	return c.TreatMissingData
}

// Validate checks a configuration as PutMetricAlarm does (as far as
// evaluation cares).
func (c *Config) Validate() error {
	switch {
	case c.EvaluationPeriods < 1:
		return fmt.Errorf("cwalarm: EvaluationPeriods must be at least 1 (got %d)", c.EvaluationPeriods)
	case c.DatapointsToAlarm < 0 || c.DatapointsToAlarm > c.EvaluationPeriods:
		return fmt.Errorf("cwalarm: DatapointsToAlarm must be between 1 and EvaluationPeriods (%d), got %d", c.EvaluationPeriods, c.DatapointsToAlarm)
	case !c.Operator.Valid():
		return fmt.Errorf("cwalarm: unknown ComparisonOperator %q", c.Operator)
	case c.Period <= 0:
		return fmt.Errorf("cwalarm: Period must be positive (got %s)", c.Period)
	}
	switch c.TreatMissingData {
	case "", Missing, NotBreaching, Breaching, Ignore:
	default:
		return fmt.Errorf("cwalarm: unknown TreatMissingData %q (use missing, notBreaching, breaching or ignore)", c.TreatMissingData)
	}
	switch c.EvaluateLowSampleCountPercentile {
	case "", LowSampleEvaluate, LowSampleIgnore:
	default:
		return fmt.Errorf("cwalarm: unknown EvaluateLowSampleCountPercentile %q (use evaluate or ignore)", c.EvaluateLowSampleCountPercentile)
	}
	if !c.Operator.Band() && (math.IsNaN(c.Threshold) || math.IsInf(c.Threshold, 0)) {
		return fmt.Errorf("cwalarm: Threshold must be a finite number")
	}
	return nil
}

// RangeSize is the number of periods an evaluation looks back over (the
// "evaluation range") for an alarm of n evaluation periods.
//
// AWS does not publish its size ("depends on the length of the alarm period
// and whether it is based on a metric with standard resolution or high
// resolution"); its documented examples use 5 for 3 evaluation periods.
// vigil uses LocalStack's approximation n + max(floor(n/3), 2), which gives
// those 5 for 3: 3 for 1, 4 for 2, 5 for 3 to 5, 8 for 6, 13 for 10.
func RangeSize(n int) int {
	return n + max(n/3, 2)
}

// Point is the datapoint of one period: the alarm's statistic of the
// samples in [Time, Time+Period). The zero Point (Present false) is a
// missing datapoint.
type Point struct {
	Time        time.Time // start of the period
	Value       float64
	SampleCount float64 // samples behind Value (the low-sample rule, reason data)
	Present     bool
	// Lower and Upper are the anomaly detection band at this period, for
	// the band operators. A NaN bound makes the datapoint missing.
	Lower, Upper float64
}

// breaches reports whether a present point breaches.
func breaches(op Operator, threshold float64, p *Point) bool {
	v := p.Value
	switch op {
	case GreaterThanOrEqualToThreshold:
		return v >= threshold
	case GreaterThanThreshold:
		return v > threshold
	case LessThanThreshold:
		return v < threshold
	case LessThanOrEqualToThreshold:
		return v <= threshold
	case LessThanLowerOrGreaterThanUpperThreshold:
		return v < p.Lower || v > p.Upper
	case LessThanLowerThreshold:
		return v < p.Lower
	case GreaterThanUpperThreshold:
		return v > p.Upper
	}
	return false
}

// usable reports whether a point takes part in evaluation (present, a
// number, and with a band when the operator needs one).
func usable(band bool, p *Point) bool {
	if !p.Present || math.IsNaN(p.Value) {
		return false
	}
	return !band || (!math.IsNaN(p.Lower) && !math.IsNaN(p.Upper))
}

// opPhrase is how reasons name an operator.
func opPhrase(op Operator) string {
	switch op {
	case GreaterThanOrEqualToThreshold:
		return "greater than or equal to"
	case GreaterThanThreshold:
		return "greater than"
	case LessThanThreshold:
		return "less than"
	case LessThanOrEqualToThreshold:
		return "less than or equal to"
	}
	return strings.ToLower(string(op))
}
