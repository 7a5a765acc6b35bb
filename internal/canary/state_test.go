package canary_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/canary"
)

func TestStep(t *testing.T) {
	t.Parallel()
	th := canary.Thresholds{Failure: 3, Success: 2}
	// Results: 'o' ok, 'x' failure for reason A, 'y' failure for reason B.
	tests := []struct {
		name     string
		th       canary.Thresholds
		results  string
		want     string // one transition letter per result: . none, F fire, U update, R resolve
		alerting bool
	}{
		{"all ok", th, "oooo", "....", false},
		{"two failures do not alert", th, "xxoxx", ".....", false},
		{"third failure in a row fires", th, "xxx", "..F", true},
		{"keeps failing: once", th, "xxxxxx", "..F...", true},
		{"reason change updates", th, "xxxyyx", "..FU.U", true},
		{"one success does not resolve", th, "xxxo", "..F.", true},
		{"two successes resolve", th, "xxxoo", "..F.R", false},
		{"a failure between successes resets", th, "xxxoxoo", "..F...R", false},
		{"fires again after resolving", th, "xxxooxxx", "..F.R..F", true},
		{"thresholds of one", canary.Thresholds{Failure: 1, Success: 1}, "xoxo", "FRFR", false},
		{"zero thresholds take the defaults", canary.Thresholds{}, "xxxoo", "..F.R", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s canary.State
			var got []byte
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var firstFailure time.Time
			for i, r := range tt.results {
				at := t0.Add(time.Duration(i) * time.Minute)
				reason := map[rune]string{'x': "A", 'y': "B"}[r]
				if r != 'o' && firstFailure.IsZero() {
					firstFailure = at
				}
				var tr canary.Transition
				s, tr = canary.Step(s, tt.th, r == 'o', at, reason)
				got = append(got, ".FUR"[tr])
				if tr == canary.Fire && !s.FailingSince.Equal(firstFailure) {
					t.Errorf("fire at %d: FailingSince %v, want the streak's first failure %v", i, s.FailingSince, firstFailure)
				}
				if tr == canary.Resolve {
					firstFailure = time.Time{}
				}
				if r == 'o' && !s.Alerting {
					firstFailure = time.Time{}
				}
			}
			if string(got) != tt.want || s.Alerting != tt.alerting {
				t.Errorf("transitions %s alerting %v, want %s %v", got, s.Alerting, tt.want, tt.alerting)
			}
		})
	}
}

func TestTransitionString(t *testing.T) {
	t.Parallel()
	got := fmt.Sprint(canary.None, canary.Fire, canary.Update, canary.Resolve)
	if got != "none fire update resolve" {
		t.Error(got)
	}
}
