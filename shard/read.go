package shard

import (
	"os"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// maxReadsPerEvent bounds how often one readable event reads a connection
// that keeps filling the read buffer, so one fast peer cannot starve the rest.
const maxReadsPerEvent = 4

// read reads what c's socket holds and delivers every complete frame. A short
// read means the socket is drained, so the shard does not read again just to
// meet EAGAIN: level-triggered polling reports any later bytes.
func (s *Shard) read(c *Conn) {
	for i := 0; i < maxReadsPerEvent; i++ {
		n, err := reactor.Read(int(c.fd), s.readBuf)
		switch {
		case n > 0:
			c.seen = s.clock
			s.hot.bytesIn += uint64(n)
			if c.flags&flagTLS != 0 {
				s.consumeTLS(c, s.tlss[c.slot], s.readBuf[:n])
			} else {
				s.consume(c, s.readBuf[:n])
			}
			if n < len(s.readBuf) || c.state != stateOpen {
				return
			}
		case err == nil: // n == 0: the peer closed its side
			s.peerClosed(c)
			return
		case err == unix.EAGAIN:
			return
		case err == unix.EINTR:
		default:
			s.abort(c, os.NewSyscallError("read", err))
			return
		}
	}
}

// consume decodes data, preceded by any partial frame c kept from earlier
// reads, and keeps what is left of an incomplete frame.
func (s *Shard) consume(c *Conn, data []byte) {
	if c.in == nil {
		used := s.decode(c, data)
		if used < len(data) && c.state == stateOpen {
			c.in = s.pool.get()
			c.in.b = append(c.in.b, data[used:]...)
		}
		return
	}
	c.in.b = append(c.in.b, data...)
	// decode may close c (an actor's Close in Receive) and so release c.in:
	// read c.in only after it (in "c.in.off += s.decode(...)" Go may load
	// c.in before or after the call).
	used := s.decode(c, c.in.b[c.in.off:])
	if c.in == nil { // closed while decoding
		return
	}
	c.in.off += used
	switch rest := len(c.in.b) - c.in.off; {
	case rest == 0 || c.state != stateOpen:
		s.pool.put(c.in)
		c.in = nil
	case c.in.off > 0:
		c.in.b = c.in.b[:copy(c.in.b, c.in.b[c.in.off:])]
		c.in.off = 0
	}
}

// decode delivers every complete frame at the start of data and returns how
// many bytes they used.
func (s *Shard) decode(c *Conn, data []byte) int {
	if c.lis.stream != nil {
		return s.decodeStream(c, s.streams[c.slot].st, data)
	}
	cd, used, frames := c.lis.codec, 0, uint64(0)
	for used < len(data) && c.state == stateOpen {
		frame, n, err := cd.Next(data[used:])
		if err != nil {
			s.abort(c, err)
			break
		}
		if n == 0 {
			break
		}
		used += n
		frames++
		var msg any
		if c.lis.raw {
			msg = s.box.set(frame)
		} else if msg, err = cd.Unmarshal(frame); err != nil {
			s.abort(c, err)
			break
		}
		s.h.Receive(c, 0, msg)
	}
	s.hot.msgsIn += frames
	return used
}

// peerClosed handles end of stream: what the actor wrote is still flushed
// (the peer may only have shut its writing side), then the socket closes. A
// partial frame left over is reported as a *codec.TruncatedError.
func (s *Shard) peerClosed(c *Conn) {
	if ts := s.tlsOf(c); ts != nil {
		s.peerClosedTLS(c, ts)
		return
	}
	s.closedAfterInput(c)
}

// closedAfterInput closes c once its peer's input has ended, reporting a
// partial frame left over.
func (s *Shard) closedAfterInput(c *Conn) {
	var err error
	if c.in != nil && len(c.in.b) > c.in.off {
		err = &codec.TruncatedError{Pending: len(c.in.b) - c.in.off}
	}
	s.Close(c, err)
}
