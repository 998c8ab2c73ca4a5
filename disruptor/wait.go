package disruptor

import "runtime"

// WaitStrategy decides what a goroutine does while it cannot make progress: a
// reader that found nothing published, or a writer that found no room. A
// writer calls Signal after every commit and the reader calls Released after
// every release, so a strategy whose goroutines sleep can wake them.
//
// One strategy value is shared by a writer and its reader. Wait, Ready and
// Released are called only by the reader's goroutine; Backoff and Signal by
// producer goroutines, concurrently.
type WaitStrategy interface {
	// Wait is called by the reader after its attempt-th consecutive check
	// (counting from 0) found nothing published. It returns when the reader
	// should check again; it may spin, yield or block.
	Wait(attempt int)
	// Ready is called by the reader when a check after at least one Wait found
	// work.
	Ready()
	// Backoff is called by a writer after its attempt-th consecutive check
	// (counting from 0) found no room: it needs gate to reach need. It
	// returns when the writer should check again; it may spin, yield, or
	// block until gate.Load() >= need (a strategy that blocks relies on
	// Released to wake it). The writer holds no claim while in Backoff.
	Backoff(attempt int, gate *Sequence, need int64)
	// Signal is called by a writer after it committed a range.
	Signal()
	// Released is called by the reader after it stored a new released
	// sequence.
	Released()
}

// yieldAfter is how many consecutive empty checks a yielding waiter spins
// through before it starts calling runtime.Gosched. Spinning pays off only
// while the other side is running on another core; past this we give the core
// away.
const yieldAfter = 64

// Spin returns a strategy that busy-spins: Wait and Backoff return at once.
// Lowest latency, but it burns a core per waiter; use it only with at least as
// many free cores as waiting goroutines.
func Spin() WaitStrategy { return spin{} }

type spin struct{}

func (spin) Wait(int)                      {}
func (spin) Ready()                        {}
func (spin) Backoff(int, *Sequence, int64) {}
func (spin) Signal()                       {}
func (spin) Released()                     {}

// Yield returns a strategy that spins for a short while and then calls
// runtime.Gosched on every further attempt, for readers and writers alike. It
// never sleeps on a timer and never blocks. When goroutines outnumber the
// cores and the ring is often full, prefer Park, whose writers block instead
// of competing with the reader for the processor.
func Yield() WaitStrategy { return yield{} }

type yield struct{}

func (yield) Wait(attempt int)                          { backoff(attempt) }
func (yield) Ready()                                    {}
func (yield) Backoff(attempt int, _ *Sequence, _ int64) { backoff(attempt) }
func (yield) Signal()                                   {}
func (yield) Released()                                 {}

// relaxer is implemented by wait strategies under which a writer may commit
// with a release store instead of a sequentially consistent one: Park on a
// light Parker. Spin and Yield do not claim it, although their own Signal
// needs no fence, because a consumer may drive a Parker by hand beside them
// (Notify after Commit), which does.
type relaxer interface{ relaxedCommit() bool }

func backoff(attempt int) {
	if attempt >= yieldAfter {
		runtime.Gosched()
	}
}
