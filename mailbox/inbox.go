package mailbox

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoalrt/shoal/disruptor"
)

// Inbox is a bounded multi-producer, single-consumer queue drained by one loop
// goroutine. Values are copied into the slots of a shared-writer disruptor ring,
// so putting a value allocates nothing.
//
// Producers (any goroutine) call TryPut or Put. The consumer (exactly one
// goroutine, the shard's loop) calls Drain, Empty, Announce and Awake.
//
// Waking: a consumer about to block elsewhere (in epoll_wait) calls Announce,
// re-checks Empty, and only then blocks; every successful put commits its slot
// and then asks the parker to wake the consumer, which costs a Wake (one eventfd
// write) only if the consumer announced sleep and no other producer has woken
// it since. See disruptor.Parker for why no wake-up is lost.
type Inbox[T any] struct {
	ring   *disruptor.Ring[T]      // slots; written by producers, read by the consumer
	writer *disruptor.SharedWriter // claim/publish cursor shared by all producers
	reader *disruptor.Reader       // the consumer's position behind the writer's barrier
	parker *disruptor.Parker       // sleeping/awake flag of the consumer
	gate   *disruptor.Sequence     // last sequence the consumer released
	closed atomic.Bool             // set once by Close; read by puts that found no room
	room   room                    // producers parked in PutWait for room
}

// NewInbox returns an inbox of size slots (a power of two). w wakes the
// consumer when it sleeps; it is called at most once per Announce.
func NewInbox[T any](size int, w disruptor.Waker) (*Inbox[T], error) {
	ring, err := disruptor.NewRing[T](size)
	if err != nil {
		return nil, err
	}
	gate := disruptor.NewSequence(-1)
	parker := disruptor.NewParker(w)
	// Park: Commit signals the parker (waking a sleeping consumer at most
	// once per sleep), and a Put that finds the ring full spins, yields, then
	// blocks until the consumer releases room, instead of spinning on a core
	// the consumer needs.
	ws := disruptor.Park(parker, noSleep{w})
	writer := disruptor.NewSharedWriter(size, gate, ws)
	return &Inbox[T]{
		ring:   ring,
		writer: writer,
		reader: disruptor.NewReader(writer, gate, ws),
		parker: parker,
		gate:   gate,
	}, nil
}

// noSleep adapts the consumer's Waker to disruptor.Sleeper. The consumer of
// an inbox blocks in its own poller, never in the reader, so Sleep is never
// called.
type noSleep struct{ disruptor.Waker }

func (noSleep) Sleep() { panic("mailbox: an inbox consumer never blocks in its reader") }

// Size returns the number of slots.
func (b *Inbox[T]) Size() int { return b.ring.Size() }

// TryPut copies *v into the inbox and wakes the consumer if it sleeps. It
// returns false, leaving the inbox unchanged, when the inbox is full or
// closed (PutWait tells which). Safe from any goroutine.
func (b *Inbox[T]) TryPut(v *T) bool {
	lo, _, ok := b.writer.TryReserve(1)
	if !ok {
		return false
	}
	*b.ring.Slot(lo) = *v
	b.writer.Commit(lo, lo) // wakes the consumer if it sleeps
	return true
}

// Close ends the inbox: it hands every value still in it to fn, oldest
// first, and from then on every put fails (TryPut and TryPutQueue put
// nothing, PutWait returns ErrClosed, and producers parked in PutWait wake
// with it). A put that reported success before is always among the values
// handed to fn. Consumer goroutine only, once, instead of a last Drain.
//
// How: the consumer claims every free slot itself, as a producer would,
// and releases nothing more, so no producer can claim a slot after that;
// it publishes its own claims (empty), waits until every claim before them
// is published, and reads the whole ring at once, skipping its own slots.
// Producers pay nothing for it: only one whose claim failed looks at the
// closed flag, which Close stores before it claims.
func (b *Inbox[T]) Close(fn func(*T)) {
	b.closed.Store(true)
	var own [][2]int64 // the consumer's claims, in order
	for n := int64(b.ring.Size()); n > 0; {
		lo, hi, ok := b.writer.TryReserve(n)
		if !ok {
			n /= 2
			continue
		}
		own = append(own, [2]int64{lo, hi})
	}
	for _, r := range own {
		b.writer.Commit(r[0], r[1]) // empty slots: Drain left them cleared
	}
	b.room.wake()
	end := b.writer.Cursor() // the ring is full of claims: no producer can add one
	lo, hi, _ := b.reader.TryRead()
	for hi < end { // a producer between its claim and its commit: a few instructions
		runtime.Gosched()
		lo, hi, _ = b.reader.TryRead()
	}
	for seq := lo; seq <= hi; seq++ {
		if len(own) > 0 && seq >= own[0][0] {
			if seq == own[0][1] {
				own = own[1:]
			}
			continue
		}
		fn(b.ring.Slot(seq))
	}
}

// TryPutQueue moves values from the head of q into the inbox, up to max of
// them, with one reservation and one commit (so one wake-up at most) for the
// whole batch. It moves fewer when the inbox has less room, and returns how
// many it moved: 0 also when the inbox is closed. Safe from any goroutine
// that owns q.
func (b *Inbox[T]) TryPutQueue(q *Queue[T], max int) int {
	k := int64(min(q.Len(), max, b.ring.Size()))
	for ; k > 0; k /= 2 {
		lo, hi, ok := b.writer.TryReserve(k)
		if !ok {
			continue
		}
		d1, d2 := b.ring.Slots(lo, hi)
		s1, s2 := q.front(int(k))
		copyInto(d1, d2, s1, s2)
		q.drop(int(k))
		b.writer.Commit(lo, hi) // wakes the consumer if it sleeps
		return int(k)
	}
	return 0
}

// putSpins is how many times PutWait yields the processor and tries again
// while the inbox is full, before it parks: long enough for a busy consumer
// on another core to free a batch, short enough not to burn a core.
const putSpins = 64

// PutWait is TryPut that, while the inbox is full, yields and retries a few
// dozen times and then parks (blocked, using no processor) until the
// consumer frees slots, for at most wait. It never holds a claimed slot
// while it waits. It returns ErrInboxFull if wait passed (or was 0 after
// the spins) with the inbox still full, and ErrClosed once the inbox is
// closed. Safe from any goroutine but the consumer's, which is the only
// one that makes room.
func (b *Inbox[T]) PutWait(v *T, wait time.Duration) error {
	if b.TryPut(v) { // fast path
		return nil
	}
	if b.closed.Load() {
		return ErrClosed
	}
	for i := 0; i < putSpins; i++ {
		if b.closed.Load() {
			return ErrClosed
		}
		runtime.Gosched()
		if b.TryPut(v) {
			return nil
		}
	}
	if wait <= 0 {
		return ErrInboxFull
	}
	return b.park(v, wait)
}

// park is PutWait's slow path: wait for the consumer to free slots.
//
// Why no wake-up is lost: the producer increments room.waiters (a
// sequentially consistent read-modify-write), takes the current room
// channel, then tries again, which loads the consumer's released sequence;
// the consumer stores the released sequence (Release) and then loads
// waiters. In the single order of those accesses, either the producer's
// retry sees the freed slots, or the consumer sees a waiter and closes the
// channel the producer took (or a later one: the producer took its channel
// before retrying, and channels are only replaced by closing them).
func (b *Inbox[T]) park(v *T, wait time.Duration) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	b.room.waiters.Add(1)
	defer b.room.waiters.Add(-1)
	for {
		ch := b.room.current()
		if b.TryPut(v) {
			return nil
		}
		if b.closed.Load() {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-t.C:
			if b.TryPut(v) {
				return nil
			}
			return ErrInboxFull
		}
	}
}

// room is how parked producers learn that the consumer freed slots.
type room struct {
	waiters atomic.Int32 // producers parked in PutWait; loaded on every release
	mu      sync.Mutex
	ch      chan struct{} // closed (and replaced) when slots are freed while waiters > 0
}

// current returns the channel that the next release with waiters closes.
func (r *room) current() chan struct{} {
	r.mu.Lock()
	if r.ch == nil {
		r.ch = make(chan struct{})
	}
	ch := r.ch
	r.mu.Unlock()
	return ch
}

// freed wakes every parked producer; the consumer calls it after each
// release. One atomic load while nobody is parked.
func (r *room) freed() {
	if r.waiters.Load() == 0 { // fast path
		return
	}
	r.wake()
}

// wake wakes every parked producer.
func (r *room) wake() {
	r.mu.Lock()
	if r.ch != nil {
		close(r.ch)
		r.ch = nil
	}
	r.mu.Unlock()
}

// Drain hands up to max queued values to fn, oldest first, and frees their
// slots. It returns how many it handed over. fn must not keep the pointer.
// Consumer goroutine only.
//
// If fn panics, the values handed over so far, the one whose call panicked
// included, are consumed and their slots freed before the panic goes on, so
// a consumer that recovers may call Drain again and carry on with the next
// value: nothing is handed over twice and nothing is lost.
func (b *Inbox[T]) Drain(max int, fn func(*T)) int {
	lo, hi, ok := b.reader.TryRead()
	if !ok {
		return 0
	}
	if hi-lo+1 > int64(max) {
		hi = lo + int64(max) - 1
	}
	first, second := b.ring.Slots(lo, hi)
	last := lo - 1 // the last value handed over
	defer b.consume(first, second, lo, &last)
	for i := range first {
		last++
		fn(&first[i])
	}
	for i := range second {
		last++
		fn(&second[i])
	}
	return int(hi - lo + 1)
}

// consume frees the slots of Drain's values lo..*last: clears them, so the
// ring keeps no references for the collector (in bulk), and releases them to
// the producers.
func (b *Inbox[T]) consume(first, second []T, lo int64, last *int64) {
	n := int(*last - lo + 1)
	if n <= len(first) {
		clear(first[:n])
	} else {
		clear(first)
		clear(second[:n-len(first)])
	}
	b.reader.Release(*last)
	b.room.freed()
}

// Empty reports whether nothing is waiting to be drained. Consumer goroutine
// only.
func (b *Inbox[T]) Empty() bool {
	_, _, ok := b.reader.TryRead()
	return !ok
}

// Depth reports roughly how many values wait in the inbox: claimed slots not
// yet drained. Safe from any goroutine; the answer may be stale at once.
func (b *Inbox[T]) Depth() int {
	return int(b.writer.Cursor() - b.gate.Load())
}

// Announce tells producers that the consumer is about to sleep. The consumer
// must then check Empty (and its other work) and call Awake instead of sleeping
// if anything is there. Consumer goroutine only.
func (b *Inbox[T]) Announce() { b.parker.Announce() }

// Awake tells producers that the consumer is running again, so they stop
// waking it. Consumer goroutine only.
func (b *Inbox[T]) Awake() { b.parker.Awake() }

// copyInto copies the values of s1 then s2 into d1 then d2 (the same total
// length), in order, with a few bulk copies.
func copyInto[T any](d1, d2, s1, s2 []T) {
	dst, src := [2][]T{d1, d2}, [2][]T{s1, s2}
	di, si := 0, 0
	for di < 2 && si < 2 {
		switch {
		case len(dst[di]) == 0:
			di++
		case len(src[si]) == 0:
			si++
		default:
			n := copy(dst[di], src[si])
			dst[di], src[si] = dst[di][n:], src[si][n:]
		}
	}
}
