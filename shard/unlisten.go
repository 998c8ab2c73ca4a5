package shard

import (
	"os"
	"sync"

	"github.com/shoalrt/shoal/reactor"
)

// listenerClose is the state of a listener's close (CloseListener).
type listenerClose struct {
	mu      sync.Mutex
	closed  bool          // its sockets are closed (or closing)
	missed  bool          // a shard missed the last request (inbox full): the next call retries
	reason  error         // why its connections close; nil while they may stay
	drained chan struct{} // closed once reason is set and no connection is open
}

// release gives back the place of one of l's connections that closed.
func (l *Listener) release() {
	if l.open.Add(-1) == 0 {
		l.checkDrained()
	}
}

// checkDrained closes l.close.drained once l's connections are closing and
// none is open.
func (l *Listener) checkDrained() {
	lc := &l.close
	lc.mu.Lock()
	if lc.reason != nil && l.open.Load() == 0 {
		select {
		case <-lc.drained:
		default:
			close(lc.drained)
		}
	}
	lc.mu.Unlock()
}

// closing reports the reason l's connections must close for, or nil.
func (l *Listener) closing() error {
	lc := &l.close
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.reason
}

// Drained returns a channel closed once CloseListener was asked to close
// l's connections and none of them is open any more.
func (l *Listener) Drained() <-chan struct{} { return l.close.drained }

// CloseListener stops l from accepting: its sockets are closed (the
// acceptor's, or each shard's with ReusePort, or a UDP socket), so the
// kernel refuses new connections to its address, and a Unix socket's file
// is removed. Connections it accepted before stay open unless reason is not
// nil: then each of them is closed gracefully (flushed, then closed, within
// the listener's close timeout), its handler told reason; so are sockets
// accepted just before the close and still on their way to a shard. A UDP
// listener's peers have no socket left once it closes: they are closed
// with reason, or ErrListenerClosed if reason is nil.
//
// Calling it again with a reason closes the connections that a first call
// without one left open; calling it again without one returns
// ErrListenerClosed. Safe from any goroutine; it does not wait (see
// Drained). A shard whose inbox stays full (from a shard's goroutine: is
// full) misses the request, and its error is returned; the next call, with
// or without a reason, then asks every shard again instead of returning
// ErrListenerClosed, so the listener can still be closed.
func (set *Set) CloseListener(l *Listener, reason error) error {
	lc := &l.close
	lc.mu.Lock()
	again := lc.closed
	if again && !lc.missed && (reason == nil || lc.reason != nil) {
		lc.mu.Unlock()
		return ErrListenerClosed
	}
	if reason == nil {
		reason = lc.reason // a retry keeps the reason asked for before
	}
	if l.packet && reason == nil {
		reason = ErrListenerClosed
	}
	lc.closed, lc.reason, lc.missed = true, reason, false
	lc.mu.Unlock()
	if reason != nil {
		l.checkDrained() // none may be open
	}

	set.mu.Lock()
	state := setState(set.state.Load())
	if !again {
		for i, x := range set.listeners {
			if x == l {
				set.listeners = append(set.listeners[:i:i], set.listeners[i+1:]...)
				break
			}
		}
		// A stopped set removed its files; the path may be another's now.
		if l.network == "unix" && l.addr != nil && state != stateStopped {
			os.Remove(l.addr.String())
		}
	}
	set.mu.Unlock()
	switch {
	case state == stateNew:
		// Never served: its sockets are only ours, and nothing is open.
		if !again {
			for _, fd := range l.fds {
				reactor.Close(fd)
			}
		}
		return nil
	case state != stateRunning:
		return nil // stopping: Stop closes everything
	}
	if !again && len(l.fds) == 1 && !l.packet {
		set.acc.remove(l)
	}
	var first error
	missed := false
	for i := range set.shards {
		s := set.shards[i]
		// sockets: always, since a shard a call missed still serves its
		// socket; a shard that closed it already finds none.
		err := set.Post(i, func() { s.unlisten(l, true, reason) })
		if err != nil && first == nil {
			first = err
		}
		missed = missed || err == ErrInboxFull
	}
	if missed {
		lc.mu.Lock()
		lc.missed = true
		lc.mu.Unlock()
	}
	return first
}

// unlisten closes this shard's sockets of l (if sockets) and, with reason,
// its connections of l. Shard goroutine only.
func (s *Shard) unlisten(l *Listener, sockets bool, reason error) {
	if reason != nil {
		s.table.each(func(c *Conn) {
			if c.lis == l && c.state == stateOpen {
				s.Close(c, reason)
			}
		})
	}
	if !sockets {
		return
	}
	for i, sl := range s.listeners {
		if sl != nil && sl.lis == l {
			s.poller.Remove(sl.fd)
			reactor.Close(sl.fd)
			s.listeners[i] = nil // the others keep their poller tokens
			s.set.logListener(s.index, l, false)
		}
	}
}

// remove stops accepting on l, one of the acceptor's listeners, and closes
// its socket, on the acceptor's goroutine. Safe from any goroutine.
func (a *acceptor) remove(l *Listener) {
	a.mu.Lock()
	a.removed = append(a.removed, l)
	a.mu.Unlock()
	a.waker.Wake()
}
