package actor

import (
	"time"

	"github.com/shoalrt/shoal/shard"
)

// Action is what supervision did about a failure.
type Action uint8

const (
	// ActionClosed: a connection actor panicked; its connection was closed
	// with a *PanicError.
	ActionClosed Action = iota
	// ActionRestarted: a spawned actor panicked and was replaced by a fresh
	// one from its factory (which receives Started again), keeping its ID.
	// The failed incarnation's timers and group memberships are dropped.
	ActionRestarted
	// ActionStopped: a spawned actor panicked and was stopped (it receives
	// Stopped), because its policy says so or its restart budget ran out.
	ActionStopped
)

// String names the action.
func (a Action) String() string {
	switch a {
	case ActionClosed:
		return "closed"
	case ActionRestarted:
		return "restarted"
	}
	return "stopped"
}

// Failure describes one panic in Receive, for the system's failure hook.
type Failure struct {
	ID     ID     // the actor that panicked
	Panic  any    // what it panicked with
	Stack  []byte // the stack at the panic
	Action Action // what supervision did
}

// Policy says what happens to a spawned actor that panics.
type Policy struct {
	// MaxRestarts is how many restarts are allowed within Window; one more
	// failure stops the actor. 0 means a failure always stops it.
	MaxRestarts int
	// Window is the period MaxRestarts counts over; 0 means forever.
	Window time.Duration
}

// StopOnFailure returns the policy that stops a spawned actor on its first
// panic.
func StopOnFailure() Policy { return Policy{} }

// RestartOnFailure returns a policy that restarts a failed actor up to max
// times within window, then stops it.
func RestartOnFailure(max int, window time.Duration) Policy {
	return Policy{MaxRestarts: max, Window: window}
}

// cell holds a spawned actor with what supervision needs to restart it.
// Connection actors are stored bare, to keep idle connections small.
type cell struct {
	a        Actor
	f        Factory
	policy   Policy
	restarts []time.Time   // recent restarts, oldest first
	fresh    bool          // Started not yet delivered to this incarnation
	signal   shard.TimerID // its start signal, cancelled once Started is delivered
}

// allow records a restart at now if the policy allows one.
func (c *cell) allow(now time.Time) bool {
	if c.policy.MaxRestarts <= 0 {
		return false
	}
	if c.policy.Window > 0 {
		keep := c.restarts[:0]
		for _, t := range c.restarts {
			if now.Sub(t) < c.policy.Window {
				keep = append(keep, t)
			}
		}
		c.restarts = keep
	}
	if len(c.restarts) >= c.policy.MaxRestarts {
		return false
	}
	c.restarts = append(c.restarts, now)
	return true
}
