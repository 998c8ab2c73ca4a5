package shard

import (
	"time"

	"github.com/shoalrt/shoal/reactor"
)

// reserve counts one more open connection if Limits.MaxConns allows it.
// Shards adopt connections concurrently, so the count is claimed with a CAS
// and the limit is never passed.
func (l *Listener) reserve() bool {
	max := int64(l.limits.MaxConns)
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
	l.refused.Add(1)                                      // before the peer can see the close: it may read the count then
	if len(l.limits.Refusal) > 0 && l.limits.TLS == nil { // a TLS peer could not read it
		reactor.Write(fd, l.limits.Refusal)
	}
	reactor.Close(fd)
	if l.failedHook != nil {
		l.failedHook(ErrStopped)
	}
}

// overHighWater applies c's backpressure policy once its outbound bytes
// passed the high-water mark, and returns the error of the write that
// passed it: ErrSlowConsumer if the connection is reset for it (Disconnect,
// or KeepWrites past MaxBuffered), else nil. Called from a write, so the
// handler hears of it after the current delivery: Pressure through the
// local queue, the reset's Closed from the flush.
func (s *Shard) overHighWater(c *Conn) error {
	lim := &c.lis.limits
	buffered := s.Buffered(c)
	over := lim.Policy == Disconnect
	if lim.Policy == KeepWrites {
		max := lim.MaxBuffered
		if max <= 0 {
			max = 4 * lim.HighWater
		}
		over = buffered > max
	}
	if over {
		s.resetSoon(c, ErrSlowConsumer)
		return ErrSlowConsumer
	}
	if c.flags&flagPressure == 0 {
		c.flags |= flagPressure
		s.local.Push(envelope{kind: kindMessage, to: s.Addr(c), msg: Pressure{High: true, Buffered: buffered}})
	}
	return nil
}

// underHighWater tells the handler once c has drained below half its mark.
func (s *Shard) underHighWater(c *Conn) {
	buffered := s.Buffered(c)
	if buffered >= c.lis.limits.HighWater/2 {
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
		if d := c.lis.limits.IdleTimeout; d > 0 && time.Duration(s.clock-c.seen)*time.Millisecond > d {
			s.Close(c, ErrIdle)
		}
	})
}

// DefaultCloseTimeout is how long a graceful close waits for the peer to
// take a connection's last bytes when its listener sets no CloseTimeout.
const DefaultCloseTimeout = 5 * time.Second

// lingerAtMost arms c's close deadline, once: c is closing and its peer has
// not taken all its bytes. When the deadline passes, c is reset.
func (s *Shard) lingerAtMost(c *Conn) {
	if _, ok := s.lingering[c.slot]; ok || c.lis == nil {
		return
	}
	d := c.lis.limits.CloseTimeout
	if d <= 0 {
		d = DefaultCloseTimeout
	}
	addr := s.Addr(c)
	s.lingering[c.slot] = s.timers.add(d, 0, 0, func() { s.closeExpired(addr) })
}

// closeExpired resets the connection at addr if it is still closing: its
// peer did not take its last bytes in time.
func (s *Shard) closeExpired(addr uint64) {
	c := s.table.lookup(AddrSlot(addr), AddrGen(addr))
	if c == nil || c.state != stateClosing {
		return
	}
	delete(s.lingering, c.slot)
	s.stats.closeTimeouts.Add(1)
	s.closing[c.slot] = closeTimedOut(s.closing[c.slot])
	s.reset(c, nil)
}
