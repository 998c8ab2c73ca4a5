package shard

import "github.com/shoalrt/shoal/reactor"

// beginStop starts the graceful stop: no more accepting, deliver everything
// already queued, then close every connection once its written bytes are
// flushed. The loop exits when the table is empty.
func (s *Shard) beginStop() {
	s.stopping = true
	s.closeListeners()
	for i := 0; i < 16 && (!s.inbox.Empty() || s.local.Len() > 0); i++ {
		s.drain()
	}
	s.table.each(func(c *Conn) { s.Close(c, ErrShutdown) })
}

// abortAll closes every remaining slot at once, resetting connections (a
// stop whose deadline passed does not wait for any peer).
func (s *Shard) abortAll() {
	s.table.each(func(c *Conn) { s.reset(c, ErrShutdown) })
}

// closeListeners closes every socket this shard serves, for a stop.
func (s *Shard) closeListeners() {
	for _, sl := range s.listeners {
		if sl != nil {
			reactor.Close(sl.fd)
			s.set.logListener(s.index, sl.lis, false)
		}
	}
	s.listeners = nil
}
