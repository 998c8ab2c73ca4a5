package shard

import (
	"time"

	"github.com/shoalrt/shoal/reactor"
)

// reserve counts one more open connection if Limits.MaxConns allows it.
// Shards adopt connections concurrently, so the count is claimed with a CAS
// and the limit is never passed.
func (l *Listener) reserve() bool {
	max := int64(l.Limits.MaxConns)
	for {
		n := l.open.Load()
		if max > 0 && n >= max {
			return false
		}
		if l.open.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// refuse closes a socket the listener cannot take, writing its refusal
// first if it has one (best effort: the socket is new, so its buffer has room).
func refuse(fd int, l *Listener) {
	l.overMax.Add(1) // before the peer can see the close: it may read the count then
	if len(l.Limits.Refusal) > 0 {
		reactor.Write(fd, l.Limits.Refusal)
	}
	reactor.Close(fd)
	if l.refusedHook != nil {
		l.refusedHook(ErrStopped)
	}
}

// overHighWater applies c's backpressure policy once its outbound bytes
// passed the high-water mark. Called from a write, so the handler hears of
// it through the local queue, after the current delivery.
func (s *Shard) overHighWater(c *Conn) {
	lim := &c.lis.Limits
	buffered := c.Buffered()
	over := lim.Policy == PolicyDisconnect
	if lim.Policy == PolicyKeep {
		max := lim.MaxBuffered
		if max <= 0 {
			max = 4 * lim.HighWater
		}
		over = buffered > max
	}
	if over {
		s.pool.put(c.out) // what it could not take is dropped
		c.out = nil
		s.Close(c, ErrSlowConsumer)
		return
	}
	if c.flags&flagPressure == 0 {
		c.flags |= flagPressure
		s.local.Push(envelope{kind: kindMessage, to: s.Addr(c), msg: Pressure{High: true, Buffered: buffered}})
	}
}

// underHighWater tells the handler once c has drained below half its mark.
func (s *Shard) underHighWater(c *Conn) {
	buffered := c.Buffered()
	if buffered >= c.lis.Limits.HighWater/2 {
		return
	}
	c.flags &^= flagPressure
	if c.state == stateOpen {
		s.local.Push(envelope{kind: kindMessage, to: s.Addr(c), msg: Pressure{High: false, Buffered: buffered}})
	}
}

// watchIdle makes sure the idle sweep runs at least every d/4.
func (s *Shard) watchIdle(d time.Duration) {
	every := max(d/4, 5*time.Millisecond)
	if s.idleEvery > 0 && s.idleEvery <= every {
		return
	}
	if s.idleEvery > 0 {
		s.timers.cancel(s.idleTimer)
	}
	s.idleEvery = every
	s.clock = uint32(s.timers.now() / int64(time.Millisecond))
	s.idleTimer = s.timers.add(every, every, 0, func() { s.sweepIdle() })
}

// sweepIdle closes connections silent for longer than their idle timeout.
func (s *Shard) sweepIdle() {
	s.clock = uint32(s.timers.now() / int64(time.Millisecond))
	s.table.each(func(c *Conn) {
		if c.fd < 0 || c.state != stateOpen || c.lis == nil {
			return
		}
		if d := c.lis.Limits.IdleTimeout; d > 0 && time.Duration(s.clock-c.seen)*time.Millisecond > d {
			s.Close(c, ErrIdle)
		}
	})
}
