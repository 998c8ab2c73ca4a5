package actor

import (
	"time"

	"github.com/shoalrt/shoal/shard"
)

// Timer is a handle to a timer started by After or Every; cancel it with
// Context.Cancel. The zero Timer cancels nothing.
type Timer struct {
	shard int
	id    shard.TimerID
	ok    bool
}

// After delivers msg to this actor once, after d (at least; the shard's
// loop fires timers with millisecond resolution; 0 means later in this
// turn). Timers are kept by the shard's loop, not by goroutines, and die
// with their actor. A negative d is refused with ErrBadDuration.
func (c *Context) After(d time.Duration, msg any) (Timer, error) {
	if d < 0 {
		return Timer{}, ErrBadDuration
	}
	return Timer{shard: c.sh.Index(), id: c.sh.After(d, 0, uint64(c.self), msg), ok: true}, nil
}

// Every delivers msg to this actor every period, the first time after one
// period, until cancelled or the actor stops. A period that is not positive
// is refused with ErrBadDuration.
func (c *Context) Every(period time.Duration, msg any) (Timer, error) {
	if period <= 0 {
		return Timer{}, ErrBadDuration
	}
	return Timer{shard: c.sh.Index(), id: c.sh.After(period, period, uint64(c.self), msg), ok: true}, nil
}

// Cancel stops t. It reports whether t was still scheduled (a one-shot timer
// that fired, a cancelled timer or another actor's timer on another shard
// report false).
func (c *Context) Cancel(t Timer) bool {
	if !t.ok || t.shard != c.sh.Index() {
		return false
	}
	return c.sh.CancelTimer(t.id)
}
