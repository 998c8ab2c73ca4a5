package disruptor

import "time"

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

	lingerMin int64         // 8B — Read lingers over batches smaller than this; 0: never (see Linger)
	lingerFor time.Duration // 8B — for at most this long
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
		if hi-lo+1 < r.lingerMin {
			return r.linger(lo)
		}
		return lo, hi
	}
	for attempt := 0; ; attempt++ {
		r.ws.Wait(attempt)
		if lo, hi, ok = r.TryRead(); ok {
			r.ws.Ready()
			if hi-lo+1 < r.lingerMin {
				return r.linger(lo)
			}
			return lo, hi
		}
	}
}

// Linger makes Read, when it finds fewer than min sequences published, keep
// the consumer spinning for up to d before it returns, so that the writers
// can publish more meanwhile and the batch grows. It trades up to d of
// latency per read for throughput: at batch 1 the consumer otherwise takes
// each sequence as soon as it is published, and the writer and the consumer
// pass the cursor's and the slots' cache lines back and forth once per
// message, which costs as much as a channel's lock; lingering turns that into
// one transfer per batch. While it lingers the consumer looks at the cursor
// only every few hundred nanoseconds, and stops as soon as min are
// published. min <= 1 or d <= 0 turns lingering off (the default). Call it
// before reading, from the consumer goroutine.
func (r *Reader) Linger(min int64, d time.Duration) {
	if min <= 1 || d <= 0 {
		r.lingerMin, r.lingerFor = 0, 0
		return
	}
	r.lingerMin, r.lingerFor = min, d
}

// lingerPeekEvery is how many clock checks the consumer makes between looks
// at the cursor while it lingers (a clock check costs some 20-40 ns and
// touches no line the writers write).
const lingerPeekEvery = 32

// linger waits, spinning, for the range from lo to grow to lingerMin
// sequences or for lingerFor to pass, and returns the range then published.
func (r *Reader) linger(lo int64) (int64, int64) {
	var hi int64
	start := time.Now()
	for i := 1; time.Since(start) < r.lingerFor; i++ {
		if i%lingerPeekEvery == 0 {
			hi = r.w.Published(r.avail + 1)
			r.avail = hi
			if hi-lo+1 >= r.lingerMin {
				return lo, hi
			}
		}
	}
	hi = r.w.Published(r.avail + 1)
	r.avail = hi
	return lo, hi
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
