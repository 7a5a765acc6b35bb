package autoscaling_test

import (
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/autoscaling"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	base := autoscaling.Invocation{Now: now, Target: 60, Min: 3, Max: 20,
		ScaleOutCooldown: 60 * time.Second, ScaleInCooldown: 300 * time.Second}
	with := func(f func(*autoscaling.Invocation)) autoscaling.Invocation {
		in := base
		f(&in)
		return in
	}
	tests := []struct {
		name      string
		in        autoscaling.Invocation
		want      int
		scale     bool
		wantState autoscaling.Cooldowns
	}{
		{name: "scale-out is proportional: ceil(3 × 90 / 60)",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 90, 3 }),
			want: 5, scale: true, wantState: autoscaling.Cooldowns{OutUntil: now.Add(time.Minute), OutBase: 3}},
		{name: "just above the target adds one",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 60.5, 3 }),
			want: 4, scale: true, wantState: autoscaling.Cooldowns{OutUntil: now.Add(time.Minute), OutBase: 3}},
		{name: "scale-out is clamped to max",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 100, 15 }),
			want: 20, scale: true, wantState: autoscaling.Cooldowns{OutUntil: now.Add(time.Minute), OutBase: 15}},
		{name: "at max nothing happens",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 100, 20 }),
			want: 20},
		{name: "during the scale-out cooldown the added capacity counts: same metric, no change",
			in: with(func(in *autoscaling.Invocation) {
				in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 90, 5
				in.State = autoscaling.Cooldowns{OutUntil: now.Add(30 * time.Second), OutBase: 3}
			}),
			want: 5, wantState: autoscaling.Cooldowns{OutUntil: now.Add(30 * time.Second), OutBase: 3}},
		{name: "during the scale-out cooldown a larger scale-out goes ahead",
			in: with(func(in *autoscaling.Invocation) {
				in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 100, 5
				in.State = autoscaling.Cooldowns{OutUntil: now.Add(30 * time.Second), OutBase: 4}
			}),
			want: 7, scale: true, wantState: autoscaling.Cooldowns{OutUntil: now.Add(time.Minute), OutBase: 4}},
		{name: "after the scale-out cooldown the current capacity is the base",
			in: with(func(in *autoscaling.Invocation) {
				in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 90, 5
				in.State = autoscaling.Cooldowns{OutUntil: now, OutBase: 3}
			}),
			want: 8, scale: true, wantState: autoscaling.Cooldowns{OutUntil: now.Add(time.Minute), OutBase: 5}},
		{name: "a scale-out during the scale-in cooldown goes ahead and ends it",
			in: with(func(in *autoscaling.Invocation) {
				in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 80, 6
				in.State = autoscaling.Cooldowns{InUntil: now.Add(4 * time.Minute)}
			}),
			want: 8, scale: true, wantState: autoscaling.Cooldowns{OutUntil: now.Add(time.Minute), OutBase: 6}},
		{name: "scale-in removes at most 10% (at least one) at a time",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleIn, 30, 7 }),
			want: 6, scale: true, wantState: autoscaling.Cooldowns{InUntil: now.Add(5 * time.Minute)}},
		{name: "scale-in of a large service removes 10%",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleIn, 10, 20 }),
			want: 18, scale: true, wantState: autoscaling.Cooldowns{InUntil: now.Add(5 * time.Minute)}},
		{name: "scale-in never removes more than the proportional proposal",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleIn, 57, 20 }),
			want: 19, scale: true, wantState: autoscaling.Cooldowns{InUntil: now.Add(5 * time.Minute)}},
		{name: "scale-in stops at min",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleIn, 5, 3 }),
			want: 3},
		{name: "scale-in is blocked during the scale-out cooldown",
			in: with(func(in *autoscaling.Invocation) {
				in.Direction, in.Metric, in.Current = autoscaling.ScaleIn, 20, 8
				in.State = autoscaling.Cooldowns{OutUntil: now.Add(time.Second), OutBase: 5}
			}),
			want: 8, wantState: autoscaling.Cooldowns{OutUntil: now.Add(time.Second), OutBase: 5}},
		{name: "scale-in is blocked during the scale-in cooldown",
			in: with(func(in *autoscaling.Invocation) {
				in.Direction, in.Metric, in.Current = autoscaling.ScaleIn, 20, 8
				in.State = autoscaling.Cooldowns{InUntil: now.Add(time.Minute)}
			}),
			want: 8, wantState: autoscaling.Cooldowns{InUntil: now.Add(time.Minute)}},
		{name: "DisableScaleIn keeps capacity",
			in: with(func(in *autoscaling.Invocation) {
				in.Direction, in.Metric, in.Current, in.DisableScaleIn = autoscaling.ScaleIn, 20, 8, true
			}),
			want: 8},
		{name: "suspended scale-out keeps capacity",
			in: with(func(in *autoscaling.Invocation) {
				in.Direction, in.Metric, in.Current, in.OutSuspended = autoscaling.ScaleOut, 95, 3, true
			}),
			want: 3},
		{name: "below min after a manual change: scale-out lands in range",
			in:   with(func(in *autoscaling.Invocation) { in.Direction, in.Metric, in.Current = autoscaling.ScaleOut, 61, 1 }),
			want: 3, scale: true, wantState: autoscaling.Cooldowns{OutUntil: now.Add(time.Minute), OutBase: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := autoscaling.Decide(tt.in)
			if got.Desired != tt.want || got.Scale != tt.scale {
				t.Fatalf("Decide = desired %d scale %v (%s), want %d scale %v", got.Desired, got.Scale, got.Why, tt.want, tt.scale)
			}
			if !tt.scale && got.Why == "" {
				t.Errorf("no scaling but no reason given")
			}
			want := tt.wantState
			if !tt.scale && want == (autoscaling.Cooldowns{}) {
				want = tt.in.State // unchanged
			}
			if !got.State.OutUntil.Equal(want.OutUntil) || !got.State.InUntil.Equal(want.InUntil) || got.State.OutBase != want.OutBase {
				t.Errorf("state = %+v, want %+v", got.State, want)
			}
		})
	}
}
