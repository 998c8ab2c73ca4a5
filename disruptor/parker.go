package disruptor

import "sync/atomic"

// Waker wakes a consumer that blocks somewhere this package does not know
// about, for example by writing to an eventfd the consumer's epoll_wait
// watches. It is supplied by the user of the package.
type Waker interface {
	// Wake makes the consumer's next or current block return. It is called
	// from producer goroutines, at most once per Parker.Announce.
	Wake()
}

// Parker states. The state word holds exactly one of these.
const (
	running  int32 = iota // consumer is working; producers do nothing
	sleeping              // consumer announced it may block; the next Notify wakes it
	waking                // a producer won the CAS and is calling (or has called) Wake
)

// Parker lets one consumer sleep outside this package (in epoll_wait, on a
// channel) while producers wake it at most once per sleep and pay a single
// atomic load per message while it is busy.
//
// The protocol:
//
//	consumer                              producer
//	--------                              --------
//	Announce()       // state = sleeping  commit the message (a seq-cst store)
//	re-check queues  // seq-cst loads     Notify():
//	if work: Awake() and process            if state == sleeping &&
//	else:    block until woken,                CAS(sleeping, waking) { Wake() }
//	         then Awake() (or Announce
//	         again before the next block)
//
// Why no wake-up is lost. Every access involved is a sequentially consistent
// atomic (Go's sync/atomic), so all of them fall into one total order that
// respects each goroutine's program order. The consumer does S1 = store
// "sleeping", then L1 = load of the queues. A producer does S2 = store of its
// commit, then L2 = load of the state. Either S1 precedes S2 in the total
// order, in which case S1 precedes L2 as well and the producer sees "sleeping"
// (or "waking": another producer already won the CAS and is waking the
// consumer), or S2 precedes S1, in which case S2 precedes L1 and the
// consumer's re-check finds the message and does not block. It cannot be that
// both loads miss. A producer that sees "sleeping" and wins the CAS calls Wake,
// and a Waker must make a block that has not started yet return as well (an
// eventfd counter, a buffered channel token), so the consumer wakes whether it
// blocked before or after the Wake.
//
// At most one Wake per sleep: only the CAS from sleeping to waking leads to a
// Wake, and only Announce puts "sleeping" back. While the consumer is running,
// Notify is one atomic load and no syscall.
//
// A stale wake-up is possible and harmless: if the re-check finds work after a
// producer already won the CAS, the Wake still happens and the consumer's next
// block returns at once; it re-announces, re-checks and blocks again.
type Parker struct {
	_     [padBytes]byte // 120B — keeps neighbours off our lines
	state atomic.Int32   // 4B — written by the consumer (Announce/Awake) and by the one winning producer (CAS); read by every Notify
	_     [padBytes]byte // 120B — keeps neighbours off our lines
	w     Waker          // read-only after NewParker; called by the producer that wins the CAS
	light bool           // read-only; producers may commit with release stores (see NewLightParker)
}

// NewParker returns a Parker in the running state that wakes the consumer
// with w.
func NewParker(w Waker) *Parker { return &Parker{w: w} }

// NewLightParker is NewParker for producers that commit with a release store
// instead of a sequentially consistent one (a SingleWriter whose wait
// strategy parks on it does): on amd64 a plain store instead of an XCHG,
// several times cheaper per message. The protocol above then needs the
// producer's store to be visible before the consumer's re-check, which the
// consumer forces each time it announces sleep with a process-wide memory
// barrier (Linux membarrier(2), some hundreds of nanoseconds): every running
// thread executes a full fence, so a commit made before it is seen by the
// re-check, and a producer whose commit comes after it loads the state after
// it too and sees "sleeping". The work moves from every message to every
// sleep. Where the barrier is unavailable (other systems, or a kernel
// without membarrier) it is an ordinary Parker and producers keep their
// sequentially consistent commits.
func NewLightParker(w Waker) *Parker {
	return &Parker{w: w, light: releasePlain && processBarrierAvailable()}
}

// Light reports whether producers may commit with release stores (see
// NewLightParker). Safe from any goroutine.
func (p *Parker) Light() bool { return p.light }

// Announce marks the consumer as about to sleep (a sequentially consistent
// store, followed for a light Parker by a process-wide barrier). The caller
// must then re-check everything it waits on, and block only if the re-check
// found nothing. Consumer goroutine only.
func (p *Parker) Announce() {
	p.state.Store(sleeping)
	if p.light {
		processBarrier()
	}
}

// Awake marks the consumer as running, so producers stop waking it. Call it
// after the consumer woke, or when the re-check after Announce found work.
// Consumer goroutine only.
func (p *Parker) Awake() {
	if p.state.Load() != running {
		p.state.Store(running)
	}
}

// Notify wakes the consumer if it announced sleep and no other producer has
// woken it since. Call it after Commit. Safe from any goroutine; costs one
// atomic load while the consumer is running.
func (p *Parker) Notify() {
	if p.state.Load() == sleeping && p.state.CompareAndSwap(sleeping, waking) {
		p.w.Wake()
	}
}

// Sleeping reports whether the consumer has announced sleep and has not yet
// been woken or marked running. Safe from any goroutine; the answer may be
// stale by the time it is used.
func (p *Parker) Sleeping() bool { return p.state.Load() == sleeping }
