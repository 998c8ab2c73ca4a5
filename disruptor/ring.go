package disruptor

// Ring is a fixed array of slots whose length is a power of two, indexed by
// sequence number modulo its size. It holds no cursor of its own: which slots a
// goroutine may touch is decided by a writer (producers own reserved,
// uncommitted slots) and a reader (the consumer owns published, unreleased
// slots).
type Ring[T any] struct {
	mask  int64 // size-1; read on every Slot, never written after NewRing
	slots []T   // the slots; each is written by the producer that reserved it and read by the consumer
}

// NewRing returns a ring of size slots, each the zero T. It returns ErrSize
// unless size is a power of two of at least 1.
func NewRing[T any](size int) (*Ring[T], error) {
	if !validSize(size) {
		return nil, ErrSize
	}
	return &Ring[T]{mask: int64(size - 1), slots: make([]T, size)}, nil
}

// Slot returns the slot for sequence seq. Only the goroutine that currently
// owns seq (its producer between reserve and commit, the consumer between read
// and release) may use the pointer. Safe from any goroutine.
func (r *Ring[T]) Slot(seq int64) *T { return &r.slots[seq&r.mask] }

// Slots returns the slots of sequences lo..hi (lo <= hi, at most the ring's
// size) as one or two contiguous slices: first, then second (nil unless the
// range wraps around the end of the ring). The ownership rules of Slot apply
// to every element. Safe from any goroutine.
func (r *Ring[T]) Slots(lo, hi int64) (first, second []T) {
	start, end := lo&r.mask, hi&r.mask
	if start <= end && hi-lo < int64(len(r.slots)) {
		return r.slots[start : end+1], nil
	}
	return r.slots[start:], r.slots[:end+1]
}

// Size returns the number of slots. Safe from any goroutine.
func (r *Ring[T]) Size() int { return len(r.slots) }

func validSize(size int) bool { return size >= 1 && size&(size-1) == 0 }

// mustSize panics with ErrSize on an invalid size; writers use it because their
// constructors have no error result.
func mustSize(size int) int64 {
	if !validSize(size) {
		panic(ErrSize)
	}
	return int64(size)
}
