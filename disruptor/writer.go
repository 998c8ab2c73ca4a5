package disruptor

// Writer is the producer side of a ring: a sequencer that hands out ranges of
// sequences, lo..hi inclusive, and publishes them to the Reader.
//
// A producer calls Reserve or TryReserve, fills the slots lo..hi of its Ring,
// then calls Commit(lo, hi) exactly once for that range. Every memory write to
// the slots made before Commit is visible to the reader that observes the
// range as published.
type Writer interface {
	// Reserve claims the next n sequences, waiting (through the wait
	// strategy's Backoff) until the ring has room for all n. It never holds
	// an unpublished claim while it waits. It panics if n < 1 or n exceeds
	// the ring size.
	Reserve(n int64) (lo, hi int64)
	// TryReserve claims the next n sequences if the ring has room for all of
	// them now. It never waits; ok is false only when the ring really lacks
	// room for n (including n larger than the ring), never because of
	// contention between producers. It panics if n < 1.
	TryReserve(n int64) (lo, hi int64, ok bool)
	// Commit publishes lo..hi, exactly a range this producer reserved (not
	// a part of it), then calls the wait strategy's Signal.
	Commit(lo, hi int64)
	// Cursor returns an upper bound of what is published: every published
	// sequence is <= Cursor(). Safe from any goroutine.
	Cursor() int64
	// Published returns the highest sequence p >= from-1 such that every
	// sequence in from..p is published. Reader goroutine only; from must be
	// one past the sequence the writer started at, or one past a value
	// Published returned before (Reader does this).
	Published(from int64) int64
	// Size returns the ring size the writer was built for.
	Size() int
}

var (
	_ Writer = (*SingleWriter)(nil)
	_ Writer = (*SharedWriter)(nil)
)

func checkBatch(n int64) {
	if n < 1 {
		panic("disruptor: reserve of fewer than 1 slot")
	}
}
