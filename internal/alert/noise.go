package alert

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// NoiseOptions tune Noise.
type NoiseOptions struct {
	// FlapWindow: an alert that fires again within this long after it
	// resolved is a flap. Default 1 hour.
	FlapWindow time.Duration
	// Location buckets days; default UTC.
	Location *time.Location
}

// DayCount is the number of alerts first notified on a day.
type DayCount struct {
	Day    string `json:"day"` // 2006-01-02
	Alerts int    `json:"alerts"`
}

// RouteNoise is the alert-fatigue account of one route (M19).
type RouteNoise struct {
	Route string `json:"route"`
	// Alerts is the number of episodes notified (a key firing until it
	// resolves is one episode, whatever the updates and receivers).
	Alerts int        `json:"alerts"`
	PerDay []DayCount `json:"per_day"`
	// Flaps counts episodes that started within FlapWindow of the same
	// key's previous resolve.
	Flaps int `json:"flaps"`
	// Updates counts update notifications (content changes while firing).
	Updates int `json:"updates"`
	// Resolved and Open count episodes with and without a resolve.
	Resolved int `json:"resolved"`
	Open     int `json:"open"`
	// Time to resolve: from the start of firing to the first resolve
	// delivered, over resolved episodes.
	MedianTimeToResolve time.Duration `json:"median_time_to_resolve"`
	P90TimeToResolve    time.Duration `json:"p90_time_to_resolve"`
	MaxTimeToResolve    time.Duration `json:"max_time_to_resolve"`
	// FailedDeliveries counts deliveries that gave up.
	FailedDeliveries int `json:"failed_deliveries"`
}

// NoiseReport is Noise's answer: one entry per route (by name) and the
// total over all routes (Route "*"; an episode routed twice counts once).
type NoiseReport struct {
	Routes []RouteNoise `json:"routes"`
	Total  RouteNoise   `json:"total"`
}

// Noise computes alert-fatigue figures from delivery attempts, as a
// Recorder stored them: alerts per day per route, flaps, updates and time
// to resolve. It is a pure function: order does not matter.
func Noise(attempts []Attempt, opts NoiseOptions) NoiseReport {
	if opts.FlapWindow <= 0 {
		opts.FlapWindow = time.Hour
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	type episodeID struct {
		key   string
		since time.Time
	}
	type episode struct {
		id        episodeID
		notified  time.Time // first successful trigger
		resolved  time.Time // first successful resolve
		hasNotify bool
	}
	type acc struct {
		episodes map[episodeID]*episode
		updates  map[episodeID]map[int]bool
		failed   int
	}
	newAcc := func() *acc { return &acc{episodes: map[episodeID]*episode{}, updates: map[episodeID]map[int]bool{}} }
	byRoute := map[string]*acc{}
	total := newAcc()

	sorted := slices.Clone(attempts)
	slices.SortStableFunc(sorted, func(a, b Attempt) int { return a.At.Compare(b.At) })
	for _, at := range sorted {
		r := byRoute[at.Route]
		if r == nil {
			r = newAcc()
			byRoute[at.Route] = r
		}
		for _, x := range []*acc{r, total} {
			if at.Outcome == OutcomeFailed {
				x.failed++
			}
			if at.Outcome != OutcomeSuccess {
				continue
			}
			id := episodeID{at.Key, at.FiringSince}
			ep := x.episodes[id]
			if ep == nil {
				ep = &episode{id: id}
				x.episodes[id] = ep
			}
			switch at.Action {
			case ActionTrigger:
				if !ep.hasNotify {
					ep.notified, ep.hasNotify = at.At, true
				}
			case ActionUpdate:
				if !ep.hasNotify {
					ep.notified, ep.hasNotify = at.At, true
				}
				if x.updates[id] == nil {
					x.updates[id] = map[int]bool{}
				}
				x.updates[id][at.Revision] = true
			case ActionResolve:
				if ep.resolved.IsZero() {
					ep.resolved = at.At
				}
			}
		}
	}

	summarise := func(name string, x *acc) RouteNoise {
		rn := RouteNoise{Route: name, FailedDeliveries: x.failed}
		days := map[string]int{}
		var ttr []time.Duration
		byKey := map[string][]*episode{}
		for _, ep := range x.episodes {
			if !ep.hasNotify {
				continue
			}
			rn.Alerts++
			days[ep.notified.In(opts.Location).Format(time.DateOnly)]++
			if ep.resolved.IsZero() {
				rn.Open++
			} else {
				rn.Resolved++
				ttr = append(ttr, ep.resolved.Sub(ep.id.since))
			}
			byKey[ep.id.key] = append(byKey[ep.id.key], ep)
		}
		for id, revs := range x.updates {
			if ep := x.episodes[id]; ep != nil && ep.hasNotify {
				rn.Updates += len(revs)
			}
		}
		for _, eps := range byKey {
			slices.SortFunc(eps, func(a, b *episode) int { return a.id.since.Compare(b.id.since) })
			for i := 1; i < len(eps); i++ {
				prev := eps[i-1]
				if !prev.resolved.IsZero() && eps[i].id.since.Sub(prev.resolved) <= opts.FlapWindow {
					rn.Flaps++
				}
			}
		}
		for _, d := range slices.Sorted(maps.Keys(days)) {
			rn.PerDay = append(rn.PerDay, DayCount{Day: d, Alerts: days[d]})
		}
		if len(ttr) > 0 {
			slices.Sort(ttr)
			rn.MedianTimeToResolve = quantile(ttr, 0.5)
			rn.P90TimeToResolve = quantile(ttr, 0.9)
			rn.MaxTimeToResolve = ttr[len(ttr)-1]
		}
		return rn
	}
	var rep NoiseReport
	for _, name := range slices.Sorted(maps.Keys(byRoute)) {
		rep.Routes = append(rep.Routes, summarise(name, byRoute[name]))
	}
	slices.SortStableFunc(rep.Routes, func(a, b RouteNoise) int { return cmp.Compare(a.Route, b.Route) })
	rep.Total = summarise("*", total)
	return rep
}

// quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
