package disruptor

// Reader is the single consumer of a ring, behind the barrier of its writer:
// it sees a sequence only once the writer has published it and every sequence
// before it. It reads in batches and releases what it consumed, which frees
// room for the writer.
//
// All methods must be called from one consumer goroutine. Slots lo..hi of a
// range returned by TryRead or Read belong to the consumer until it releases
// them.
type Reader struct {
	released int64        // 8B — last released sequence; consumer-local copy of seq, read every TryRead
	avail    int64        // 8B — highest sequence known published (>= released); consumer-local, read+write every TryRead
	w        Writer       // 16B — the barrier; read-only
	seq      *Sequence    // 8B — the shared released sequence, the writer's gate; stored on Release
	ws       WaitStrategy // 16B — Wait/Ready while nothing is published
}

// NewReader returns a reader behind w. seq must be the *Sequence passed as
// gate to w's constructor; the reader starts after its current value. A nil
// ws means Yield().
func NewReader(w Writer, seq *Sequence, ws WaitStrategy) *Reader {
	if ws == nil {
		ws = Yield()
	}
	start := seq.Load()
	return &Reader{released: start, avail: start, w: w, seq: seq, ws: ws}
}

// TryRead returns the whole contiguous published range after the last
// released sequence, without waiting. ok is false if nothing is published.
// Calling it again before Release returns a range with the same lo.
// Consumer goroutine only.
func (r *Reader) TryRead() (lo, hi int64, ok bool) {
	lo = r.released + 1
	hi = r.w.Published(r.avail + 1) // continue where the last look stopped
	r.avail = hi
	return lo, hi, hi >= lo
}

// Read is TryRead that waits, through the wait strategy, until at least one
// sequence is published. Consumer goroutine only.
func (r *Reader) Read() (lo, hi int64) {
	lo, hi, ok := r.TryRead()
	if ok { // fast path
		return lo, hi
	}
	for attempt := 0; ; attempt++ {
		r.ws.Wait(attempt)
		if lo, hi, ok = r.TryRead(); ok {
			r.ws.Ready()
			return lo, hi
		}
	}
}

// Release marks every sequence through hi consumed, so writers may reuse
// their slots. hi must lie within the last range read; releasing part of it is
// allowed. Consumer goroutine only; the store synchronizes before a writer's
// load that observes it, so the consumer's reads of the slots happen before
// their reuse.
func (r *Reader) Release(hi int64) {
	r.released = hi
	r.seq.Store(hi)
	r.ws.Released()
}

// Released returns the last released sequence. Consumer goroutine only.
func (r *Reader) Released() int64 { return r.released }
