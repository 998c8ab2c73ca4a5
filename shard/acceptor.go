package shard

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// acceptor is the goroutine that accepts on the set's listeners (unless
// each shard has its own ReusePort socket) and publishes each new socket into
// the chosen shard's inbox, which wakes that shard only if it sleeps.
type acceptor struct {
	set    *Set
	poller *reactor.Poller
	waker  *safeWaker // Wake may race the loop's exit, which closes it
	events []reactor.Ready
	bal    balancer

	mu      sync.Mutex  // guards pending and removed
	pending []*Listener // added by Listen, picked up by the loop
	removed []*Listener // closed by CloseListener, dropped by the loop

	lis     []*Listener // owned by the loop; index = poller token
	offs    []backoff   // per listener
	pollLog logLimit    // records of poller errors

	stop atomic.Bool
	done chan struct{}
}

func newAcceptor(set *Set) (*acceptor, error) {
	p, err := reactor.NewPoller()
	if err != nil {
		return nil, err
	}
	w, err := reactor.NewWaker()
	if err != nil {
		p.Close()
		return nil, err
	}
	if err := p.AddWaker(w, wakerToken); err != nil {
		w.Close()
		p.Close()
		return nil, err
	}
	return &acceptor{
		set:    set,
		poller: p,
		waker:  &safeWaker{w: w},
		events: make([]reactor.Ready, 64),
		bal:    balancer{policy: set.cfg.Balance, shards: set.shards},
		done:   make(chan struct{}),
	}, nil
}

// add hands l to the loop. Safe from any goroutine.
func (a *acceptor) add(l *Listener) {
	a.mu.Lock()
	a.pending = append(a.pending, l)
	a.mu.Unlock()
	a.waker.Wake()
}

func (a *acceptor) run() {
	labelAcceptorLoop(nil)
	defer a.exit()
	for !a.stop.Load() {
		a.adoptPending()
		n, err := a.poller.Wait(a.events, a.timeout())
		if err != nil {
			a.set.logPollError(noShard, &a.pollLog, err)
			continue
		}
		for i := 0; i < n; i++ {
			tok := a.events[i].Token
			if tok == wakerToken || int(tok) >= len(a.lis) || a.stop.Load() {
				continue
			}
			l := a.lis[tok]
			if l == nil {
				continue // closed
			}
			off := &a.offs[tok]
			exhausted, err := acceptFrom(l, l.fds[0], a.publish)
			if exhausted {
				off.fail(time.Now())
				a.poller.Remove(l.fds[0])
			} else {
				off.delay = 0
			}
			if err != nil {
				a.set.logAcceptError(noShard, l, off, err)
			}
		}
	}
}

func (a *acceptor) adoptPending() {
	a.mu.Lock()
	pending, removed := a.pending, a.removed
	a.pending, a.removed = nil, nil
	a.mu.Unlock()
	for _, l := range pending {
		a.lis = append(a.lis, l)
		a.offs = append(a.offs, backoff{})
		if err := a.poller.Add(l.fds[0], uint64(len(a.lis)-1), reactor.Readable); err != nil {
			a.set.logPollError(noShard, &a.pollLog, err)
			continue
		}
		a.set.logListener(noShard, l, true)
	}
	for _, l := range removed {
		for i, x := range a.lis {
			if x == l {
				a.poller.Remove(l.fds[0])
				reactor.Close(l.fds[0])
				a.lis[i], a.offs[i] = nil, backoff{} // the others keep their tokens
				a.set.logListener(noShard, l, false)
			}
		}
	}
	if len(pending) > 0 || len(removed) > 0 {
		labelAcceptorLoop(a.lis)
	}
}

// timeout re-adds backed-off listeners whose time has come and returns how
// long to wait for the next one (-1: no timeout).
func (a *acceptor) timeout() int {
	timeout := -1
	var now time.Time
	for i := range a.offs {
		if a.lis[i] == nil {
			continue
		}
		switch ms := a.offs[i].wait(&now); {
		case ms == 0:
			a.poller.Add(a.lis[i].fds[0], uint64(i), reactor.Readable)
		case ms > 0:
			timeout = earliest(timeout, ms)
		}
	}
	return timeout
}

// publish hands an accepted socket to a shard through its inbox ring. It
// waits for room if that shard is saturated, as any send from outside does
// (Config.SendWait): accepting slows down rather than losing the
// connection. A shard that stays full past that, or has exited, cannot
// take it: the socket is closed and counted as an open failure.
func (a *acceptor) publish(l *Listener, fd int, sa unix.Sockaddr) {
	s := a.bal.pick(sa)
	e := envelope{kind: kindOpen, to: uint64(fd), msg: l}
	if a.set.put(s, &e) != nil {
		reactor.Close(fd)
		s.stats.openFailures.Add(1)
	}
}

func (a *acceptor) exit() {
	a.adoptPending()
	for _, l := range a.lis {
		if l != nil {
			reactor.Close(l.fds[0])
			a.set.logListener(noShard, l, false)
		}
	}
	a.waker.close()
	a.poller.Close()
	close(a.done)
}

// shutdown stops the loop and waits for it, or until ctx ends; the
// listeners' sockets are closed when the loop exits. The loop may be parked
// handing a socket to a full shard: it exits once that shard frees room or
// exits itself.
func (a *acceptor) shutdown(ctx context.Context) {
	a.stop.Store(true)
	a.waker.Wake()
	select {
	case <-a.done:
	case <-ctx.Done():
	}
}
