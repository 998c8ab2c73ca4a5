package shard

import "github.com/shoalrt/shoal/reactor"

// beginStop starts the graceful stop: no more accepting, deliver everything
// already queued, then close every connection once its written bytes are
// flushed. The loop exits when the table is empty.
func (s *Shard) beginStop() {
	s.stopping = true
	for _, l := range s.listeners {
		if l != nil {
			reactor.Close(l.fd)
		}
	}
	s.listeners = nil
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
