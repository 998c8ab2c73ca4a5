package shard

import (
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// writeSegments writes c's own bytes and shared segments in order with one
// writev.
func (s *Shard) writeSegments(c *Conn) (int, error) {
	out := c.out
	iov := s.iov[:0]
	pos := out.off
	for _, sg := range out.segs {
		if sg.at > pos {
			iov = append(iov, out.b[pos:sg.at])
			pos = sg.at
		}
		iov = append(iov, sg.p)
	}
	if pos < len(out.b) {
		iov = append(iov, out.b[pos:])
	}
	s.iov = iov
	n, err := reactor.WritevScratch(int(c.fd), iov, s.iovecs[:])
	clear(iov) // drop references to shared bytes
	return n, err
}

// shareMin is the size from which shared bytes are sent by reference (a
// writev part) rather than copied into a connection's buffer. Measured with
// 32-byte chat lines: copying them is cheaper than one iovec each.
const shareMin = 1024

// writeShared queues p, already framed for c's codec, to be written to c
// after what c has queued so far. From shareMin bytes up it is not copied:
// many connections may share one p, which must never change afterwards. Datagram peers get p as
// one datagram at once. Shard goroutine only.
func (s *Shard) writeShared(c *Conn, p []byte) error {
	if c.state != stateOpen || c.fd < 0 {
		return ErrClosed
	}
	if c.flags&flagPacket != 0 {
		if err := reactor.SendTo(int(c.fd), p, s.peers[c.slot].sa); err != nil {
			if err == unix.EAGAIN {
				s.stats.writesDropped.Add(1)
				return ErrBackpressure
			}
			return err
		}
		s.hot.msgsOut++
		return nil
	}
	if c.flags&flagPressure != 0 && c.lis.limits.Policy == DropWrites {
		s.stats.writesDropped.Add(1)
		return ErrBackpressure
	}
	out := s.outbound(c)
	if len(p) < shareMin {
		// small: a copy is cheaper than one more iovec for the kernel
		out.b = append(out.b, p...)
	} else {
		out.segs = append(out.segs, segment{at: len(out.b), p: p})
	}
	s.hot.msgsOut++
	if hw := c.lis.limits.HighWater; hw > 0 && s.Buffered(c) > hw {
		return s.overHighWater(c)
	}
	return nil
}

// Broadcast writes msg to the connection of every member of group name on
// every shard, encoding it once per shard and codec and sharing the encoded
// bytes among the members' connections (no copy per member). Members without
// a connection are skipped; their actors are not called. Like Publish, it
// never waits for another shard. Shard goroutine only.
func (s *Shard) Broadcast(name string, msg any) error {
	return s.fan(kindBroadcast, 0, name, msg)
}

// Broadcast is Shard.Broadcast for goroutines that are not a shard's.
func (set *Set) Broadcast(name string, msg any) error {
	return set.fanOut(kindBroadcast, 0, name, msg)
}

// broadcastLocal writes msg to every local member's connection.
func (s *Shard) broadcastLocal(name string, msg any) {
	m := s.groups[name]
	if m == nil {
		return
	}
	var last codec.Codec
	var payload []byte
	var enc [codec.MaxSharedClass + 1][]byte // framings of last's payload, by framing class
	for _, a := range m.addrs {
		c := s.table.lookup(AddrSlot(a), AddrGen(a))
		if c == nil || c.lis == nil || c.state != stateOpen {
			continue
		}
		if c.lis.codec != last {
			last, enc = c.lis.codec, [codec.MaxSharedClass + 1][]byte{}
			p, err := s.payload(c.lis, msg)
			if err != nil {
				s.stats.writesDropped.Add(1)
				last = nil
				continue
			}
			payload = p
		}
		class := 0
		if c.lis.stream != nil {
			if class = s.streams[c.slot].st.Shared(); class < 0 || class > codec.MaxSharedClass {
				s.writeFramed(c, payload, msg) // framed for this connection alone
				continue
			}
		}
		if enc[class] == nil {
			b, err := s.frameShared(c.lis, payload, msg, class)
			if err != nil {
				s.stats.writesDropped.Add(1)
				continue
			}
			enc[class] = b
		}
		s.writeShared(c, enc[class])
	}
}

// payload returns msg's payload for listener l, valid until the next
// payload or write of this shard.
func (s *Shard) payload(l *Listener, msg any) ([]byte, error) {
	if l.raw {
		switch m := msg.(type) {
		case []byte:
			return m, nil
		case codec.Text:
			return m, nil
		case string:
			s.scratch = append(s.scratch[:0], m...)
			return s.scratch, nil
		}
	}
	b, err := l.codec.Marshal(s.scratch[:0], msg)
	if err != nil {
		return nil, err
	}
	s.scratch = b
	return b, nil
}

// frameShared frames payload, the encoding of msg, for the connections of l
// in framing class class, into a fresh slice shared by every member written
// with it.
func (s *Shard) frameShared(l *Listener, payload []byte, msg any, class int) ([]byte, error) {
	dst := make([]byte, 0, len(payload)+16)
	if l.stream != nil {
		return l.stream.AppendShared(dst, payload, msg, class)
	}
	return l.codec.Append(dst, payload)
}
