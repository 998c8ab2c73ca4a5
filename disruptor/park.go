package disruptor

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Sleeper is a Waker the consumer itself can block on, for consumers that are
// plain goroutines rather than reactors blocked elsewhere.
type Sleeper interface {
	Waker
	// Sleep blocks until Wake is called, or returns at once if a Wake
	// happened since the last Sleep returned. Consumer goroutine only.
	Sleep()
}

// ChanWaker is a Sleeper built on a one-token channel: Wake leaves a token
// (dropping it if one is already there) and Sleep takes it. Blocking on it
// parks the goroutine in the Go scheduler, with no timer involved.
type ChanWaker struct {
	ch chan struct{} // capacity 1: the pending wake-up, if any
}

// NewChanWaker returns a ChanWaker with no pending wake-up.
func NewChanWaker() *ChanWaker { return &ChanWaker{ch: make(chan struct{}, 1)} }

// Wake leaves a wake-up token; it never blocks. Safe from any goroutine.
func (c *ChanWaker) Wake() {
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

// Sleep blocks until a token is there and takes it. One goroutine at a time.
func (c *ChanWaker) Sleep() { <-c.ch }

// C returns the channel a token arrives on, for consumers that select on
// several things. Receiving from it is the same as Sleep.
func (c *ChanWaker) C() <-chan struct{} { return c.ch }

// Park returns a strategy for a reader on a plain goroutine and the writers
// feeding it. The reader spins, then yields, then announces sleep on p and,
// on the next empty check, blocks in s.Sleep; Signal is p.Notify, so writers
// wake the reader at most once per sleep. Writers that find the ring full
// spin, yield, and then block until the reader releases enough; Released
// costs the reader one atomic load while no writer is blocked.
//
// s is normally the Waker p was built with. The announce → re-check → block
// order is kept by the Reader: Wait announces and returns, the Reader
// re-checks, and only the following Wait blocks.
func Park(p *Parker, s Sleeper) WaitStrategy {
	w := &park{p: p, s: s}
	w.cond.L = &w.mu
	return w
}

// parkAfter is the attempt at which a parking reader announces sleep, and a
// writer blocks: after spinning through yieldAfter attempts and yielding
// through a few more.
const parkAfter = yieldAfter + 16

type park struct {
	p *Parker // read-only; the reader's state word
	s Sleeper // read-only; what the reader blocks on

	// Writers blocked for room. Why no wake-up is lost: a writer increments
	// blocked (a sequentially consistent read-modify-write) and then loads
	// the gate; the reader stores the gate (Release) and then loads blocked
	// (Released). In the single order of those four accesses, either the
	// writer's load sees the new gate and it does not wait, or the reader's
	// load sees blocked > 0 and it broadcasts. The writer holds mu from
	// before its increment until cond.Wait releases it, so a broadcast that
	// takes mu cannot fall between the writer's check and its Wait.
	blocked atomic.Int32 // written by blocking writers, read by every Released
	mu      sync.Mutex   // guards the check-then-Wait of blocked writers
	cond    sync.Cond    // blocked writers wait here; L is &mu
}

func (w *park) Wait(attempt int) {
	switch {
	case attempt < yieldAfter:
	case attempt < parkAfter:
		runtime.Gosched()
	case attempt == parkAfter:
		w.p.Announce() // the caller re-checks before the next Wait blocks
	default:
		w.s.Sleep()
		w.p.Announce() // re-arm: the caller re-checks before blocking again
	}
}

// relaxedCommit: Signal's protocol survives a release-store commit only
// with a light Parker (see NewLightParker).
func (w *park) relaxedCommit() bool { return w.p.light }

func (w *park) Ready()  { w.p.Awake() }
func (w *park) Signal() { w.p.Notify() }

func (w *park) Backoff(attempt int, gate *Sequence, need int64) {
	if attempt < parkAfter {
		backoff(attempt)
		return
	}
	w.mu.Lock()
	w.blocked.Add(1)
	for gate.Load() < need {
		w.cond.Wait()
	}
	w.blocked.Add(-1)
	w.mu.Unlock()
}

func (w *park) Released() {
	if w.blocked.Load() > 0 { // slow path: a writer is blocked for room
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}
