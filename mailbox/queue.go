package mailbox

// Queue is an unbounded FIFO of values owned by one goroutine. It grows by
// doubling and never shrinks below its largest size, so a steady flow through
// it allocates nothing.
//
// Queue is not safe for concurrent use: call it only from the goroutine that
// owns it (a shard's loop).
type Queue[T any] struct {
	buf  []T // ring storage; len is zero or a power of two
	head int // index of the oldest element
	n    int // number of elements
}

// Len reports the number of queued values.
func (q *Queue[T]) Len() int { return q.n }

// Push appends v at the tail.
func (q *Queue[T]) Push(v T) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = v
	q.n++
}

// Add appends a zero value at the tail and returns a pointer to it, for the
// caller to fill in place (cheaper than building a large T and copying it
// into Push). The pointer is valid until the next Add, Push or Pop.
func (q *Queue[T]) Add() *T {
	if q.n == len(q.buf) {
		q.grow()
	}
	p := &q.buf[(q.head+q.n)&(len(q.buf)-1)]
	q.n++
	return p
}

// Pop removes and returns the oldest value. ok is false when the queue is empty.
func (q *Queue[T]) Pop() (v T, ok bool) {
	if q.n == 0 {
		return v, false
	}
	var zero T
	v = q.buf[q.head]
	q.buf[q.head] = zero // drop references for the collector
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return v, true
}

// grow doubles the storage. Kept out of line (it runs rarely) so that Push
// and Add stay small enough to inline.
//
//go:noinline
func (q *Queue[T]) grow() {
	size := 2 * len(q.buf)
	if size == 0 {
		size = 16
	}
	buf := make([]T, size)
	for i := 0; i < q.n; i++ {
		buf[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
	}
	q.buf, q.head = buf, 0
}

// front returns the n oldest values (n <= Len) as one or two contiguous
// slices, oldest first.
func (q *Queue[T]) front(n int) (first, second []T) {
	if n == 0 {
		return nil, nil
	}
	if end := q.head + n; end <= len(q.buf) {
		return q.buf[q.head:end], nil
	}
	return q.buf[q.head:], q.buf[:q.head+n-len(q.buf)]
}

// drop removes the n oldest values (n <= Len), clearing their slots in bulk
// so the collector can free what they referenced.
func (q *Queue[T]) drop(n int) {
	first, second := q.front(n)
	clear(first)
	clear(second)
	q.head = (q.head + n) & (len(q.buf) - 1)
	q.n -= n
}
