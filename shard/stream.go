package shard

import "github.com/shoalrt/shoal/codec"

// Stream connections: a listener whose codec is a codec.StreamCodec
// (WebSocket) gives each connection its own codec.Stream, kept here by slot.
// Such a connection is pending until its stream reports EventOpen: its bytes
// go through the handshake, the handler has not been opened, and a timer
// closes it if the handshake takes longer than the codec allows.

// streamSlot is the stream state of one slot.
type streamSlot struct {
	st    codec.Stream
	timer TimerID // the handshake deadline while pending; zero when none
}

// handshakeDeadline is the message of a pending connection's handshake timer.
type handshakeDeadline struct{}

// stream returns c's stream, or nil if c is not a stream connection.
func (s *Shard) stream(c *Conn) codec.Stream {
	if c.lis == nil || c.lis.stream == nil || int(c.slot) >= len(s.streams) {
		return nil
	}
	return s.streams[c.slot].st
}

// startStream gives the new connection c its stream: it writes the stream's
// greeting (a client handshake request) and arms the handshake timer. The
// handler is opened later, when the stream reports EventOpen.
func (s *Shard) startStream(c *Conn) {
	l := c.lis
	for int(c.slot) >= len(s.streams) {
		s.streams = append(s.streams, streamSlot{})
	}
	ss := &s.streams[c.slot]
	target := l.target
	if !l.client {
		if a := s.RemoteAddr(c); a != nil {
			target = a.String()
		}
	}
	ss.st = l.stream.NewStream(l.client, target)
	c.flags |= flagPending
	if d := l.stream.HandshakeTimeout(); d > 0 {
		ss.timer = s.After(d, 0, s.Addr(c), handshakeDeadline{})
	}
	out := s.outbound(c)
	out.b = ss.st.Hello(out.b)
	if out.empty() {
		s.pool.put(out)
		c.out = nil
	}
	if l.client {
		// A client stream that cannot start (a bad target) says so at its
		// first look, before any byte arrives; the peer may never send one.
		s.decodeStream(c, ss.st, nil)
	}
}

// handshakeExpired closes c if it is still pending.
func (s *Shard) handshakeExpired(c *Conn) {
	if c.flags&flagPending == 0 || c.state != stateOpen {
		return
	}
	s.streams[c.slot].timer = TimerID{}
	s.abort(c, ErrHandshakeTimeout)
}

// decodeStream is decode for a stream connection: it acts on every event
// the stream finds at the start of data and returns how many bytes it used.
func (s *Shard) decodeStream(c *Conn, st codec.Stream, data []byte) int {
	used, frames := 0, uint64(0)
	for c.state == stateOpen {
		ev, n := st.Next(data[used:])
		used += n
		switch ev.Kind {
		case codec.EventNone:
			if n == 0 {
				s.hot.msgsIn += frames
				return used
			}
		case codec.EventMessage:
			frames++
			s.deliverPayload(c, ev.Frame, ev.Text)
		case codec.EventReply:
			s.writeRaw(c, ev.Frame)
		case codec.EventOpen:
			s.opened(c, ev.Info)
		case codec.EventClose:
			s.writeRaw(c, ev.Frame)
			s.closeStream(c, ev.Err)
		}
	}
	s.hot.msgsIn += frames
	return used
}

// deliverPayload hands one message payload of c to the handler: unparsed
// (as []byte or codec.Text, without copying) for a raw codec, else decoded.
func (s *Shard) deliverPayload(c *Conn, payload []byte, text bool) {
	var msg any
	switch {
	case c.lis.raw && text:
		msg = s.textBox.set(payload)
	case c.lis.raw:
		msg = s.box.set(payload)
	default:
		var err error
		if msg, err = c.lis.codec.Unmarshal(payload); err != nil {
			s.Close(c, err)
			return
		}
	}
	s.h.Receive(c, 0, msg)
}

// opened ends c's handshake: the handler is opened with what the handshake
// learnt.
func (s *Shard) opened(c *Conn, info any) {
	if c.flags&flagPending == 0 {
		return
	}
	c.flags &^= flagPending
	ss := &s.streams[c.slot]
	if ss.timer != (TimerID{}) {
		s.CancelTimer(ss.timer)
		ss.timer = TimerID{}
	}
	s.h.Open(c, info)
}

// writeRaw queues protocol bytes (a handshake answer, a pong, a close frame)
// for c, as they are.
func (s *Shard) writeRaw(c *Conn, b []byte) {
	if len(b) == 0 || c.fd < 0 {
		return
	}
	out := s.outbound(c)
	out.b = append(out.b, b...)
}

// closeStream closes c after its stream said goodbye itself.
func (s *Shard) closeStream(c *Conn, reason error) {
	if c.state != stateOpen {
		return
	}
	c.flags |= flagSaidBye
	s.Close(c, reason)
}

// goodbye queues the bytes c's stream writes before a close for reason.
func (s *Shard) goodbye(c *Conn, st codec.Stream, reason error) {
	if c.flags&flagSaidBye != 0 || c.fd < 0 {
		return
	}
	c.flags |= flagSaidBye
	if reason == ErrShutdown || reason == ErrIdle || reason == ErrListenerClosed {
		reason = goingAway{reason}
	}
	s.bye = st.Goodbye(s.bye[:0], reason) // not s.scratch: a broadcast may hold its payload there
	s.writeRaw(c, s.bye)
}

// endStream releases c's stream once c is finished.
func (s *Shard) endStream(c *Conn) {
	if int(c.slot) >= len(s.streams) {
		return // closed before its stream started (during a TLS handshake)
	}
	ss := &s.streams[c.slot]
	if ss.timer != (TimerID{}) {
		s.CancelTimer(ss.timer)
	}
	if ss.st != nil {
		ss.st.Release()
	}
	*ss = streamSlot{}
}

// goingAway marks a close reason that means this end is going away (the
// server stops, its listener shuts down, or the connection idled out): a
// WebSocket says 1001.
type goingAway struct{ error }

// CloseCode returns 1001, the WebSocket code for an endpoint going away.
func (goingAway) CloseCode() int { return 1001 }

func (g goingAway) Unwrap() error { return g.error }

// frameFor frames payload, the encoding of msg, for c: through its stream if
// it has one, else with its codec's framer.
func (s *Shard) frameFor(c *Conn, dst, payload []byte, msg any) ([]byte, error) {
	if st := s.stream(c); st != nil {
		return st.AppendMessage(dst, payload, msg)
	}
	return c.lis.codec.Append(dst, payload)
}
