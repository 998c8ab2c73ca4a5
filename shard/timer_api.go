package shard

import "time"

// After schedules msg for the actor at address to (normally on this shard)
// after d, and again every period if period > 0. The timer is driven by the
// shard's loop (a heap and the poll timeout), so it costs no goroutine; its
// resolution is the poll's, one millisecond. A timer whose target is gone is
// dropped silently when it fires. Shard goroutine only.
func (s *Shard) After(d, period time.Duration, to uint64, msg any) TimerID {
	if d < 0 {
		d = 0
	}
	return s.timers.add(d, period, to, msg)
}

// CancelTimer stops a timer of this shard. It reports whether the timer was
// still scheduled. Shard goroutine only.
func (s *Shard) CancelTimer(t TimerID) bool { return s.timers.cancel(t) }

// fireTimer delivers a due timer's message; false if its target is gone or
// closing.
// Address 0 marks the shard's own timers, whose message is a func().
func (s *Shard) fireTimer(to uint64, msg any) bool {
	if to == 0 {
		msg.(func())()
		return true
	}
	c := s.table.lookup(AddrSlot(to), AddrGen(to))
	if c == nil || c.state != stateOpen || AddrShard(to) != s.index {
		return false // gone or closing: its timers die with it
	}
	switch msg.(type) {
	case handshakeDeadline:
		s.handshakeExpired(c)
		return true
	case tlsDeadline:
		s.handshakeExpiredTLS(c)
		return true
	}
	s.h.Receive(c, 0, msg)
	return true
}
