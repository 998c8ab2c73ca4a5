package shard

import (
	"net"

	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// peer is what a datagram connection needs beyond its slot.
type peer struct {
	key reactor.PeerKey
	sa  unix.Sockaddr // where its datagrams go
	sl  *shardListener
}

// datagramBurst bounds how many datagrams one readiness report reads.
const datagramBurst = 64

// readDatagrams reads waiting datagrams from a UDP socket and delivers each
// to its sender's actor, making one for a new sender (Handler.Open). One
// datagram is decoded as a unit: frames in it are delivered, a partial frame
// at its end is dropped.
func (s *Shard) readDatagrams(sl *shardListener) {
	for i := 0; i < datagramBurst; i++ {
		n, key, err := reactor.RecvFrom(sl.fd, s.readBuf)
		if err != nil {
			if err != unix.EAGAIN && err != unix.EINTR {
				s.stats.pollErrors.Add(1)
				s.set.logPollError(s.index, &s.pollLog, err)
			}
			return
		}
		s.hot.bytesIn += uint64(n)
		var c *Conn
		if a, ok := sl.peers[key]; ok {
			c = s.table.lookup(AddrSlot(a), AddrGen(a))
		}
		if c == nil {
			if c = s.openPeer(sl, key); c == nil {
				continue // over the limit: the datagram is dropped
			}
		}
		if c.state != stateOpen {
			continue
		}
		c.seen = s.clock
		s.decode(c, s.readBuf[:n])
	}
}

// openPeer makes the connection of a new datagram sender.
func (s *Shard) openPeer(sl *shardListener, key reactor.PeerKey) *Conn {
	l := sl.lis
	if s.stopping || !l.reserve() {
		l.refused.Add(1)
		return nil
	}
	c := s.table.alloc()
	if c == nil {
		l.release()
		s.stats.openFailures.Add(1)
		return nil
	}
	c.fd, c.lis, c.state, c.flags = int32(sl.fd), l, stateOpen, flagPacket
	c.seen = s.clock
	s.peers[c.slot] = &peer{key: key, sa: key.Sockaddr(), sl: sl}
	sl.peers[key] = s.Addr(c)
	l.accepted.Add(1)
	s.conns.Add(1)
	s.stats.opened.Add(1)
	s.h.Open(c, nil)
	return c
}

// sendDatagram frames payload and sends it to c's peer at once, as one
// datagram. A full socket buffer drops it with ErrBackpressure.
func (s *Shard) sendDatagram(c *Conn, payload []byte) error {
	b, err := c.lis.codec.Append(s.dgram[:0], payload)
	if err != nil {
		return err
	}
	s.dgram = b
	p := s.peers[c.slot]
	if err := reactor.SendTo(int(c.fd), b, p.sa); err != nil {
		if err == unix.EAGAIN {
			s.stats.writesDropped.Add(1)
			return ErrBackpressure
		}
		return err
	}
	s.hot.msgsOut++
	s.hot.bytesOut += uint64(len(b))
	return nil
}

// closePeer forgets a datagram connection; the socket stays, shared.
func (s *Shard) closePeer(c *Conn) {
	if p := s.peers[c.slot]; p != nil {
		delete(p.sl.peers, p.key)
		delete(s.peers, c.slot)
	}
	c.lis.release()
	s.conns.Add(-1)
	s.stats.closed.Add(1)
}

// RemoteAddr returns the address of c's peer, or nil for an actor without a
// connection or a socket that is gone. For a stream socket it makes a system
// call. Shard goroutine only.
func (s *Shard) RemoteAddr(c *Conn) net.Addr {
	if c.fd < 0 || c.lis == nil {
		return nil
	}
	if c.flags&flagPacket != 0 {
		if p := s.peers[c.slot]; p != nil {
			return reactor.SockaddrToAddr(c.lis.network, p.sa)
		}
		return nil
	}
	sa, err := unix.Getpeername(int(c.fd))
	if err != nil {
		return nil
	}
	return reactor.SockaddrToAddr(c.lis.network, sa)
}
