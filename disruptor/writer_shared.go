package disruptor

import (
	"sync/atomic"
	"unsafe"
)

// SharedWriter is the sequencer for any number of producer goroutines.
//
// Claiming checks capacity first: a producer reads the claim cursor, checks
// that the ring has room for its range (against a cached copy of the reader's
// gate, refreshed only when the copy shows no room), and only then advances
// the claim cursor with a CAS. A failed CAS means another producer claimed
// first; the loop re-reads and tries again. So a claimed range always has room
// and is published without waiting, and a producer waiting for room holds no
// claim that could stall the reader.
//
// Producers may commit out of order. Each committed range lo..hi is marked by
// one store, ends[lo&mask] = hi, so a commit costs one atomic store whatever
// its size; the reader walks from range to range to find the highest
// contiguous published sequence. A stale mark left in a slot by an earlier lap
// is always below the sequences that may use the slot now (a range that
// started at s-k*size ended before s), so ends[s&mask] >= s holds exactly when
// a range starting at s has been committed.
//
// Reserve, TryReserve, Commit and Cursor are safe from any goroutine;
// Published is for the reader only.
type SharedWriter struct {
	claim    Sequence // 248B — last claimed sequence; CAS by every Reserve (the contended word)
	gateSeen Sequence // 248B — cached copy of gate; read by every Reserve, written only on the slow path

	// The slice headers and the fields below are read-only after
	// NewSharedWriter.
	ends []atomic.Int64 // 24B — per slot, the end of the last range committed starting there; written by Commit, read by the reader
	mask int64          // 8B — size-1
	size int64          // 8B — ring size
	gate *Sequence      // 8B — the reader's last released sequence
	ws   WaitStrategy   // 16B — Backoff while full, Signal after commit
	// relaxed: commit with a release store (the wait strategy allows it).
	relaxed bool // 1B
}

// NewSharedWriter returns a writer for a ring of size slots (the Ring's
// Size). gate is the reader's sequence, the last sequence it released,
// normally -1; the first sequence reserved is one past it. A nil ws means
// Yield(). It panics with ErrSize if size is
// not a power of two >= 1.
func NewSharedWriter(size int, gate *Sequence, ws WaitStrategy) *SharedWriter {
	if ws == nil {
		ws = Yield()
	}
	n := mustSize(size)
	w := &SharedWriter{ends: make([]atomic.Int64, n), mask: n - 1, size: n, gate: gate, ws: ws}
	if r, ok := ws.(relaxer); ok {
		w.relaxed = r.relaxedCommit()
	}
	w.claim.Store(gate.Load())
	w.gateSeen.Store(gate.Load())
	for i := range w.ends {
		w.ends[i].Store(-1) // below every sequence
	}
	return w
}

// Reserve claims the next n sequences, waiting while the ring lacks room. It
// never holds a claim while it waits. Safe from any goroutine.
func (w *SharedWriter) Reserve(n int64) (lo, hi int64) {
	checkBatch(n)
	if n > w.size {
		panic("disruptor: reserve larger than the ring")
	}
	for attempt := 0; ; {
		cur := w.claim.Load()
		hi = cur + n
		if hi-w.size > w.gateSeen.Load() && !w.refresh(hi-w.size) {
			w.ws.Backoff(attempt, w.gate, hi-w.size) // slow path: full, and nothing claimed
			attempt++
			continue
		}
		if w.claim.CompareAndSwap(cur, hi) { // fast path: room and no race
			return cur + 1, hi
		}
		// Another producer claimed first: not a lack of room, retry now.
	}
}

// TryReserve claims the next n sequences if the ring has room now; it
// retries internally when it loses a CAS race, so ok is false only when the
// ring lacks room. Safe from any goroutine.
func (w *SharedWriter) TryReserve(n int64) (lo, hi int64, ok bool) {
	checkBatch(n)
	for {
		cur := w.claim.Load()
		hi = cur + n
		if hi-w.size > w.gateSeen.Load() && !w.refresh(hi-w.size) {
			return 0, 0, false
		}
		if w.claim.CompareAndSwap(cur, hi) {
			return cur + 1, hi, true
		}
	}
}

// refresh re-reads the gate into the shared cache and reports whether the
// reader has released through wrap. The gate only grows, so a racing store of
// an older value leaves the cache behind the gate, which is merely cautious.
func (w *SharedWriter) refresh(wrap int64) bool {
	g := w.gate.Load()
	w.gateSeen.Store(g)
	return wrap <= g
}

// Commit publishes lo..hi, exactly a range this goroutine reserved (not a
// part of it), then signals the wait strategy. Safe from any goroutine; the
// store synchronizes before the reader's load that observes it.
func (w *SharedWriter) Commit(lo, hi int64) {
	if w.relaxed {
		storeRelease((*int64)(unsafe.Pointer(&w.ends[lo&w.mask])), hi)
	} else {
		w.ends[lo&w.mask].Store(hi)
	}
	w.ws.Signal()
}

// Cursor returns the last claimed sequence, which bounds what is published.
// Safe from any goroutine.
func (w *SharedWriter) Cursor() int64 { return w.claim.Load() }

// Published returns the highest p such that every sequence in from..p is
// published, or from-1. from must be 0 (the first call) or one past a value
// Published returned before: the start of a reserved range. It reads only
// the per-range marks, never the contended claim cursor, and ends because
// nothing past the reader's gate plus the ring size can be claimed. Reader
// goroutine only.
func (w *SharedWriter) Published(from int64) int64 {
	s := from
	for {
		end := w.ends[s&w.mask].Load()
		if end < s {
			return s - 1
		}
		s = end + 1
	}
}

// Size returns the ring size. Safe from any goroutine.
func (w *SharedWriter) Size() int { return int(w.size) }
