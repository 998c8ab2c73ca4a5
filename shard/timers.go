package shard

import "time"

// timerQueue holds a shard's timers: a 4-ary min-heap of timer ids ordered by
// deadline, over a pool of timer records reused through a free list. Adding
// and cancelling are O(log n); a shard with 100 000 timers costs no
// goroutine and only the earliest deadline bounds the poll's timeout.
// Shard goroutine only.
type timerQueue struct {
	timers []timer // records, indexed by timer id
	free   []int32 // ids of unused records
	heap   []int32 // ids of scheduled timers, heap-ordered by when
	epoch  time.Time
}

// timer is one record. 56 bytes on 64-bit platforms.
type timer struct {
	msg    any    // 16B — delivered to the target
	when   int64  // 8B — deadline, nanoseconds since epoch
	period int64  // 8B — > 0: re-arm after firing (Every)
	to     uint64 // 8B — target address
	index  int32  // 4B — position in heap; -1 when not scheduled
	gen    uint32 // 4B — bumped on every reuse, so stale handles do nothing
}

// TimerID names a timer of one shard: its record and the record's generation.
type TimerID struct {
	id  int32
	gen uint32
}

const heapArity = 4

func (q *timerQueue) now() int64 {
	if q.epoch.IsZero() {
		q.epoch = time.Now()
	}
	return int64(time.Since(q.epoch))
}

// add schedules msg for to after d, repeating every period if period > 0.
func (q *timerQueue) add(d, period time.Duration, to uint64, msg any) TimerID {
	var id int32
	if n := len(q.free); n > 0 {
		id = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		q.timers = append(q.timers, timer{})
		id = int32(len(q.timers) - 1)
	}
	t := &q.timers[id]
	t.gen++
	t.when, t.period, t.to, t.msg = q.now()+int64(d), int64(period), to, msg
	t.index = int32(len(q.heap))
	q.heap = append(q.heap, id)
	q.up(int(t.index))
	return TimerID{id: id, gen: t.gen}
}

// cancel unschedules the timer; false if it already fired (one-shot), was
// cancelled, or the handle is stale.
func (q *timerQueue) cancel(h TimerID) bool {
	if h.id < 0 || int(h.id) >= len(q.timers) {
		return false
	}
	t := &q.timers[h.id]
	if t.gen != h.gen || t.index < 0 {
		return false
	}
	q.remove(int(t.index))
	q.release(h.id)
	return true
}

// next returns the nanoseconds until the earliest deadline, or ok == false
// when no timer is scheduled.
func (q *timerQueue) next() (d int64, ok bool) {
	if len(q.heap) == 0 {
		return 0, false
	}
	return q.timers[q.heap[0]].when - q.now(), true
}

// expire fires every timer due by now, in deadline order, calling fire with
// each one's target and message; fire reports whether the target still
// exists. Periodic timers are re-armed on their own cadence (a late shard
// skips missed ticks rather than bursting them) unless their target is gone:
// timers die with their actor.
func (q *timerQueue) expire(fire func(to uint64, msg any) bool) {
	if len(q.heap) == 0 {
		return
	}
	now := q.now()
	for len(q.heap) > 0 {
		id := q.heap[0]
		t := &q.timers[id]
		if t.when > now {
			return
		}
		to, msg, gen := t.to, t.msg, t.gen
		if t.period > 0 {
			t.when += t.period
			if t.when <= now {
				t.when = now + t.period
			}
			q.down(0)
		} else {
			q.remove(0)
			q.release(id)
		}
		if !fire(to, msg) && t.period > 0 && t.gen == gen && t.index >= 0 {
			q.remove(int(t.index))
			q.release(id)
		}
	}
}

// Len returns the number of scheduled timers.
func (q *timerQueue) Len() int { return len(q.heap) }

func (q *timerQueue) release(id int32) {
	t := &q.timers[id]
	t.msg, t.index = nil, -1
	q.free = append(q.free, id)
}

// remove takes heap position i out of the heap.
func (q *timerQueue) remove(i int) {
	last := len(q.heap) - 1
	q.timers[q.heap[i]].index = -1
	if i != last {
		q.heap[i] = q.heap[last]
		q.timers[q.heap[i]].index = int32(i)
	}
	q.heap = q.heap[:last]
	if i < last {
		q.down(i)
		q.up(i)
	}
}

func (q *timerQueue) less(i, j int) bool {
	return q.timers[q.heap[i]].when < q.timers[q.heap[j]].when
}

func (q *timerQueue) swap(i, j int) {
	q.heap[i], q.heap[j] = q.heap[j], q.heap[i]
	q.timers[q.heap[i]].index = int32(i)
	q.timers[q.heap[j]].index = int32(j)
}

func (q *timerQueue) up(i int) {
	for i > 0 {
		p := (i - 1) / heapArity
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *timerQueue) down(i int) {
	n := len(q.heap)
	for {
		first := i*heapArity + 1
		if first >= n {
			return
		}
		min := first
		for c := first + 1; c < first+heapArity && c < n; c++ {
			if q.less(c, min) {
				min = c
			}
		}
		if !q.less(min, i) {
			return
		}
		q.swap(i, min)
		i = min
	}
}

// cancelTo cancels every timer whose target is to. O(timers); for the rare
// restart of a supervised actor.
func (q *timerQueue) cancelTo(to uint64) int {
	n := 0
	for i := 0; i < len(q.heap); {
		id := q.heap[i]
		if q.timers[id].to != to {
			i++
			continue
		}
		q.remove(i) // the last entry moved to i: look at i again
		q.release(id)
		n++
	}
	return n
}
