package shard

import (
	"os"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// WriteFrame frames payload with c's codec and queues it for the end-of-turn
// flush, which writes everything queued for c in one system call. The
// payload is copied. Shard goroutine only.
func (s *Shard) WriteFrame(c *Conn, payload []byte) error {
	return s.writeFramed(c, payload, bytesHint)
}

// bytesHint is the message value that tells a stream codec a payload is
// plain bytes (a binary WebSocket message), boxed once so passing it costs
// no allocation per write.
var bytesHint any = []byte(nil)

// writeFramed frames payload, the encoding of msg, and queues it for c.
func (s *Shard) writeFramed(c *Conn, payload []byte, msg any) error {
	if c.state != stateOpen || c.fd < 0 {
		return ErrClosed
	}
	if c.flags&flagPacket != 0 {
		return s.sendDatagram(c, payload)
	}
	if c.flags&flagPressure != 0 && c.lis.limits.Policy == DropWrites {
		s.stats.writesDropped.Add(1)
		return ErrBackpressure
	}
	out := s.outbound(c)
	n := len(out.b)
	b, err := s.frameFor(c, out.b, payload, msg)
	if err != nil {
		out.b = out.b[:n]
		return err
	}
	out.b = b
	s.hot.msgsOut++
	if hw := c.lis.limits.HighWater; hw > 0 && s.Buffered(c) > hw {
		return s.overHighWater(c)
	}
	return nil
}

// WriteMessage encodes msg with c's codec and queues it like WriteFrame.
// Shard goroutine only.
func (s *Shard) WriteMessage(c *Conn, msg any) error {
	if c.state != stateOpen || c.fd < 0 {
		return ErrClosed
	}
	if c.lis.raw {
		switch m := msg.(type) {
		case []byte:
			return s.writeFramed(c, m, msg)
		case codec.Text:
			return s.writeFramed(c, m, msg)
		case string:
			s.scratch = append(s.scratch[:0], m...)
			return s.writeFramed(c, s.scratch, msg)
		}
	}
	b, err := c.lis.codec.Marshal(s.scratch[:0], msg)
	if err != nil {
		return err
	}
	s.scratch = b
	return s.writeFramed(c, b, msg)
}

// outbound returns c's outbound buffer, taking one from the pool, and puts c
// on the flush list.
func (s *Shard) outbound(c *Conn) *buffer {
	if c.out == nil {
		c.out = s.pool.get()
	}
	s.markDirty(c)
	return c.out
}

func (s *Shard) markDirty(c *Conn) {
	if c.flags&flagDirty == 0 {
		c.flags |= flagDirty
		s.dirty = append(s.dirty, c)
	}
}

// Close closes c gracefully: it stops reading, flushes what was written, then
// closes the socket and calls Handler.Closed with reason (nil for a clean
// close). A peer that does not take the last bytes within the listener's
// close timeout (Limits.CloseTimeout) is reset, and the reason becomes an
// ErrCloseTimeout wrapping reason. Closing a closing connection does
// nothing. Shard goroutine only.
func (s *Shard) Close(c *Conn, reason error) {
	if c.state != stateOpen {
		return
	}
	if st := s.stream(c); st != nil {
		s.goodbye(c, st, reason)
	}
	c.state = stateClosing
	if reason != nil {
		s.closing[c.slot] = reason
	}
	if c.flags&flagWantWrite != 0 { // the peer is already not taking bytes
		s.lingerAtMost(c)
	}
	s.markDirty(c) // the flush finishes the close
}

// resetSoon closes c without flushing, with a TCP reset, when the current
// turn flushes: for a peer that does not take what it is sent there is
// nothing worth waiting for. The handler hears Closed{reason} from the
// flush, never from inside the write that caused it.
func (s *Shard) resetSoon(c *Conn, reason error) {
	if c.state != stateOpen {
		return
	}
	c.state = stateClosing
	c.flags |= flagReset
	s.closing[c.slot] = reason
	if c.out != nil {
		s.pool.put(c.out) // what it could not take is dropped
		c.out = nil
	}
	s.markDirty(c)
}

// reset closes c at once with a TCP reset (SO_LINGER 0): the bytes not yet
// written, ours and the kernel's, are dropped and freed, and the peer sees
// the connection reset rather than a clean end. reason is the close reason
// unless a close already under way gave one.
func (s *Shard) reset(c *Conn, reason error) {
	if c.fd >= 0 && c.flags&flagPacket == 0 {
		_ = reactor.SetLingerZero(int(c.fd)) // best effort: a plain close still frees the slot
	}
	s.abort(c, reason)
}

// abort closes c at once, dropping unwritten bytes.
func (s *Shard) abort(c *Conn, reason error) {
	if c.state == stateFree {
		return
	}
	if c.state == stateOpen && reason != nil {
		s.closing[c.slot] = reason // a close already under way keeps its reason
	}
	c.state = stateClosing
	if c.out != nil {
		s.pool.put(c.out)
		c.out = nil
	}
	s.finish(c)
}

// flush writes every dirty connection's outbound bytes and finishes pending
// closes. Handlers called from here (Closed) may dirty more connections; they
// are flushed in the same pass.
func (s *Shard) flush() {
	for i := 0; i < len(s.dirty); i++ {
		c := s.dirty[i]
		s.dirty[i] = nil
		c.flags &^= flagDirty
		if c.state == stateFree {
			continue
		}
		if c.flags&(flagWantWrite|flagReset) != flagWantWrite {
			s.flushConn(c) // a reset does not wait for writability
		}
	}
	s.dirty = s.dirty[:0]
}

// flushConn writes c's outbound bytes until they are gone or the socket is
// full; in the latter case it asks the poller for writability.
func (s *Shard) flushConn(c *Conn) {
	if c.flags&flagReset != 0 {
		s.reset(c, nil)
		return
	}
	out := &c.out // the bytes for the socket
	if c.flags&flagTLS != 0 {
		ts := s.tlss[c.slot]
		if err := s.sealTLS(c, ts); err != nil && c.state == stateOpen {
			// crypto/tls refuses to write (its connection failed): what
			// is sealed still goes out (an alert), then the socket closes.
			ts.failed = true
			s.stats.tlsFailures.Add(1)
			s.Close(c, err)
		}
		out = &ts.wire // c.out is plaintext, sealed into ts.wire
	}
	if *out != nil && (*out).empty() { // nothing was queued after all
		s.pool.put(*out)
		*out = nil
	}
	for *out != nil {
		var n int
		var err error
		if b := *out; len(b.segs) == 0 { // fast path: one contiguous buffer
			n, err = reactor.Write(int(c.fd), b.b[b.off:])
		} else {
			n, err = s.writeSegments(c)
		}
		if n > 0 {
			s.hot.bytesOut += uint64(n)
			(*out).consume(n)
			if (*out).empty() {
				s.pool.put(*out)
				*out = nil
			}
			if c.flags&flagPressure != 0 {
				s.underHighWater(c)
			}
			continue
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN, nil:
			s.wantWrite(c)
			if c.state == stateClosing {
				s.lingerAtMost(c)
			}
			return
		}
		s.abort(c, os.NewSyscallError("write", err))
		return
	}
	if c.flags&flagWantWrite != 0 {
		c.flags &^= flagWantWrite
		if c.state == stateOpen {
			s.poller.Modify(int(c.fd), connToken(c), s.interest(c))
		}
	}
	if c.state == stateClosing {
		s.finish(c)
	}
}

// wantWrite registers c for writability; a closing connection stops reading.
func (s *Shard) wantWrite(c *Conn) {
	if c.flags&flagWantWrite == 0 || c.state == stateClosing {
		c.flags |= flagWantWrite
		s.poller.Modify(int(c.fd), connToken(c), s.interest(c))
	}
}

// finish closes c's socket, tells the handler and frees the slot.
func (s *Shard) finish(c *Conn) {
	reason := s.closing[c.slot]
	delete(s.closing, c.slot)
	if t, ok := s.lingering[c.slot]; ok {
		s.timers.cancel(t)
		delete(s.lingering, c.slot)
	}
	if c.flags&flagPacket != 0 {
		s.closePeer(c)
	} else if c.fd >= 0 {
		reactor.Close(int(c.fd))
		c.lis.release()
		s.conns.Add(-1)
		s.stats.closed.Add(1)
	} else {
		s.actors.Add(-1)
	}
	if c.in != nil {
		s.pool.put(c.in)
		c.in = nil
	}
	if c.out != nil {
		s.pool.put(c.out)
		c.out = nil
	}
	c.fd = -1
	s.leaveAll(c)
	if ts := s.tlsOf(c); ts != nil {
		s.endTLS(c, ts)
	}
	if c.lis != nil && c.lis.stream != nil {
		s.endStream(c)
	}
	if c.flags&flagPending != 0 {
		// Never opened (its handshake did not finish): the handler never
		// saw it; a dialler hears why.
		if c.lis.failedHook != nil {
			if reason == nil {
				reason = ErrHandshake
			}
			c.lis.failedHook(reason)
		}
	} else {
		s.h.Closed(c, reason)
	}
	s.table.release(c)
}
