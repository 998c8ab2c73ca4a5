package disruptor

// SingleWriter is the sequencer for exactly one producer goroutine. Reserve
// reads no shared memory while its cached view of the reader shows room; a
// commit is one atomic store: a release store (a plain MOV on amd64) when
// the wait strategy is Park on a light Parker (see NewLightParker), else a
// sequentially consistent one.
//
// Reserve, TryReserve and Commit must all be called from the same single
// producer goroutine (or goroutines that hand the role over with their own
// synchronization), and ranges must be committed in the order reserved.
type SingleWriter struct {
	cursor Sequence // 248B — last committed sequence; written by Commit, read by the reader (hot both sides)

	// Producer-local; only the producer goroutine reads or writes these.
	reserved int64        // 8B — last reserved sequence; read+write every Reserve
	gateSeen int64        // 8B — last value read from gate; read every Reserve, refreshed only when it shows no room
	size     int64        // 8B — ring size; read-only
	gate     *Sequence    // 8B — the reader's last released sequence; read only on the slow path
	ws       WaitStrategy // 16B — Backoff while full, Signal after commit
	relaxed  bool         // 1B — commit with a release store (the wait strategy allows it)
	_        [padBytes - 49]byte
}

// NewSingleWriter returns a writer for a ring of size slots (the Ring's
// Size). gate is the reader's sequence, the last sequence it released,
// normally -1; the first sequence reserved is one past it. A nil ws means
// Yield(). It panics with ErrSize if size is
// not a power of two >= 1.
func NewSingleWriter(size int, gate *Sequence, ws WaitStrategy) *SingleWriter {
	if ws == nil {
		ws = Yield()
	}
	start := gate.Load()
	w := &SingleWriter{reserved: start, gateSeen: start, size: mustSize(size), gate: gate, ws: ws}
	if r, ok := ws.(relaxer); ok {
		w.relaxed = r.relaxedCommit()
	}
	w.cursor.Store(start)
	return w
}

// Reserve claims the next n sequences, waiting while the ring is full.
// Producer goroutine only.
func (w *SingleWriter) Reserve(n int64) (lo, hi int64) {
	checkBatch(n)
	if n > w.size {
		panic("disruptor: reserve larger than the ring")
	}
	hi = w.reserved + n
	if hi-w.size > w.gateSeen { // slow path: our view shows no room
		for attempt := 0; !w.refresh(hi - w.size); attempt++ {
			w.ws.Backoff(attempt, w.gate, hi-w.size)
		}
	}
	// fast path: room known without touching shared memory
	w.reserved = hi
	return hi - n + 1, hi
}

// TryReserve claims the next n sequences if there is room now. Producer
// goroutine only.
func (w *SingleWriter) TryReserve(n int64) (lo, hi int64, ok bool) {
	checkBatch(n)
	hi = w.reserved + n
	if hi-w.size > w.gateSeen && !w.refresh(hi-w.size) {
		return 0, 0, false
	}
	w.reserved = hi
	return hi - n + 1, hi, true
}

// refresh re-reads the gate and reports whether the reader has released
// through wrap, the sequence whose slot the reservation would reuse.
func (w *SingleWriter) refresh(wrap int64) bool {
	w.gateSeen = w.gate.Load()
	return wrap <= w.gateSeen
}

// Commit publishes lo..hi and signals the wait strategy. Producer goroutine
// only; the store synchronizes before the reader's load that observes it.
func (w *SingleWriter) Commit(lo, hi int64) {
	if w.relaxed {
		w.cursor.storeRelease(hi)
	} else {
		w.cursor.Store(hi)
	}
	w.ws.Signal()
}

// Cursor returns the last committed sequence. Safe from any goroutine.
func (w *SingleWriter) Cursor() int64 { return w.cursor.Load() }

// Published returns the last committed sequence (or from-1 if nothing new):
// a single writer publishes in order. Reader goroutine.
func (w *SingleWriter) Published(from int64) int64 {
	if c := w.cursor.Load(); c >= from {
		return c
	}
	return from - 1
}

// Size returns the ring size. Safe from any goroutine.
func (w *SingleWriter) Size() int { return int(w.size) }
