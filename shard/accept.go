package shard

import (
	"errors"
	"time"

	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// acceptBurst is how many sockets one readiness report of a listener accepts
// before the loop moves on to its other work.
const acceptBurst = 128

// Back-off after EMFILE/ENFILE/ENOBUFS/ENOMEM: the listener leaves the poller
// (so a level-triggered readiness report cannot spin the loop) and returns
// after a delay that doubles per failure up to maxBackoff. Connections wait in
// the kernel's backlog meanwhile; none is dropped by us.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

type backoff struct {
	until time.Time     // when the listener goes back into the poller; zero if active
	delay time.Duration // last delay
	log   logLimit      // records of this socket's accept errors
}

func (b *backoff) fail(now time.Time) {
	b.delay *= 2
	if b.delay < minBackoff {
		b.delay = minBackoff
	}
	if b.delay > maxBackoff {
		b.delay = maxBackoff
	}
	b.until = now.Add(b.delay)
}

// wait reports the milliseconds left of the back-off, -1 when none runs, or
// 0 when it has just ended (and clears it): the caller then puts the listener
// back into its poller. now is read from the clock once per caller's pass.
func (b *backoff) wait(now *time.Time) int {
	if b.until.IsZero() {
		return -1
	}
	if now.IsZero() {
		*now = time.Now()
	}
	if !now.Before(b.until) {
		b.until = time.Time{}
		return 0
	}
	return int(b.until.Sub(*now)/time.Millisecond) + 1
}

// earliest combines two poll timeouts in milliseconds, -1 meaning none.
func earliest(a, b int) int {
	if a < 0 || (b >= 0 && b < a) {
		return b
	}
	return a
}

// adoptFunc takes over a socket accepted from l; sa is the peer's address.
type adoptFunc func(l *Listener, fd int, sa unix.Sockaddr)

// acceptFrom accepts up to acceptBurst sockets from lfd. It reports whether
// the process ran out of descriptors or memory, in which case the caller must
// stop polling the listener for a while, and the error that ended the burst
// (counted in Listener.AcceptErrors), if one did.
func acceptFrom(l *Listener, lfd int, adopt adoptFunc) (exhausted bool, err error) {
	for i := 0; i < acceptBurst; i++ {
		fd, sa, err := reactor.Accept(lfd)
		switch {
		case err == nil:
		case errors.Is(err, unix.EAGAIN):
			return false, nil
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.ECONNABORTED), errors.Is(err, unix.EPROTO):
			continue
		case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE),
			errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.ENOMEM):
			l.acceptErrors.Add(1)
			return true, err
		default:
			// Unexpected (EBADF after a concurrent close, EINVAL...): stop this
			// burst; a closed listener leaves the poller on its own.
			l.acceptErrors.Add(1)
			return false, err
		}
		_ = l.limits.Socket.apply(fd, l.tcp) // best effort: the connection works without them
		l.accepted.Add(1)
		adopt(l, fd, sa)
	}
	return false, nil
}

// shardListener is a socket served by one shard: a ReusePort listener, or a
// UDP socket.
type shardListener struct {
	lis   *Listener
	fd    int
	off   backoff
	peers map[reactor.PeerKey]uint64 // UDP: address of each remote's actor
}

// listen starts serving fd, a socket of l: accepting (ReusePort mode) or
// reading datagrams (UDP).
func (s *Shard) listen(l *Listener, fd int) {
	if s.stopping { // the socket came after closeListeners: nobody else closes it
		reactor.Close(fd)
		return
	}
	sl := &shardListener{lis: l, fd: fd}
	if l.packet {
		sl.peers = make(map[reactor.PeerKey]uint64)
		s.watchIdle(l.limits.IdleTimeout)
	}
	s.listeners = append(s.listeners, sl)
	if err := s.poller.Add(sl.fd, listenToken|uint64(len(s.listeners)-1), reactor.Readable); err != nil {
		s.stats.pollErrors.Add(1)
		s.set.logPollError(s.index, &s.pollLog, err)
		return
	}
	s.set.logListener(s.index, l, true)
}

func (s *Shard) acceptReady(i int) {
	if i >= len(s.listeners) {
		return
	}
	sl := s.listeners[i]
	if sl == nil {
		return // closed
	}
	if sl.lis.packet {
		s.readDatagrams(sl)
		return
	}
	exhausted, err := acceptFrom(sl.lis, sl.fd, s.adoptLocal)
	if exhausted {
		sl.off.fail(time.Now())
		s.poller.Remove(sl.fd)
	} else {
		sl.off.delay = 0
	}
	if err != nil {
		s.set.logAcceptError(s.index, sl.lis, &sl.off, err)
	}
}

func (s *Shard) adoptLocal(l *Listener, fd int, _ unix.Sockaddr) { s.open(fd, l) }

// deadline returns the poll timeout in milliseconds until the next timer is
// due or the next backed-off listener returns to the poller (re-adding those
// whose time has come); -1 if nothing waits.
func (s *Shard) deadline() int {
	timeout := -1
	if d, ok := s.timers.next(); ok {
		if d <= 0 {
			return 0
		}
		timeout = int((d + int64(time.Millisecond) - 1) / int64(time.Millisecond))
	}
	var now time.Time
	for i, sl := range s.listeners {
		if sl == nil {
			continue // closed
		}
		switch ms := sl.off.wait(&now); {
		case ms == 0:
			s.poller.Add(sl.fd, listenToken|uint64(i), reactor.Readable)
			return 0
		case ms > 0:
			timeout = earliest(timeout, ms)
		}
	}
	return timeout
}
