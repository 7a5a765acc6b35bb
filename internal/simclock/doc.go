// Package simclock is the virtual clock the sandbox's simulation runs on:
// metric timestamps, alarm evaluation, cooldowns and task start delays all
// read it, so a scenario of an hour can run in seconds.
//
// A Clock tells real time by default. SetSpeed(60) makes a virtual minute
// pass every real second (0 stops it); Advance(5*time.Minute) steps it
// forward at once. Timers and tickers (AfterFunc, NewTimer, NewTicker,
// TickFunc) fire in virtual time: when real time carries the clock past
// them at its speed, or during Advance, which fires every timer that falls
// due in deadline order, with Now equal to each deadline, before it
// returns. So "evaluate every alarm each period" is a virtual ticker, and
// a test that advances the clock five minutes sees the five evaluations
// done when Advance returns.
//
// Virtual time never goes backwards. The package keeps nothing on disk:
// the sandbox saves the clock's time and speed in its data directory and
// restores them when it restarts.
//
// # Example
//
//	clock := simclock.New(simclock.WithSpeed(0)) // stepped
//	clock.TickFunc(time.Minute, func(now time.Time) { evaluate(now) })
//	clock.Advance(5 * time.Minute) // evaluate ran five times, a minute apart
//
// Callbacks run in the goroutine that moves the clock (Advance's caller or
// the clock's real-time waker), one at a time; they may read the clock and
// set or stop timers, but must not call Advance or SetSpeed.
package simclock
