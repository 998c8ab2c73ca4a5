package disruptor

import (
	"sync/atomic"
	"unsafe"
)

// padBytes keeps a hot word alone in any 128-byte window around it: two 64-byte
// cache lines, so the adjacent-line prefetcher never pulls a neighbour's hot
// word into the same pair. Go does not align structs to 128 bytes, so the pad
// on each side is 128 minus the word itself.
const padBytes = 128 - 8

// Sequence is a cache-line padded int64 counter shared between goroutines.
// The zero value holds 0; use NewSequence to start elsewhere (cursors and
// reader sequences start at -1).
//
// All methods are safe from any goroutine and are sequentially consistent
// atomics: a Store synchronizes before every Load that observes it.
type Sequence struct {
	_ [padBytes]byte // 120B — keeps the previous neighbour off our lines
	v atomic.Int64   // 8B — the counter; hot for whoever owns it
	_ [padBytes]byte // 120B — keeps the next neighbour off our lines
}

// NewSequence returns a Sequence holding v.
func NewSequence(v int64) *Sequence {
	s := &Sequence{}
	s.v.Store(v)
	return s
}

// Load returns the current value. Safe from any goroutine.
func (s *Sequence) Load() int64 { return s.v.Load() }

// Store sets the value. Safe from any goroutine; every memory write made
// before Store is visible to a goroutine whose Load observes the new value.
func (s *Sequence) Store(v int64) { s.v.Store(v) }

// storeRelease stores v with release ordering only (see storeRelease):
// cheaper than Store where no full fence is needed.
func (s *Sequence) storeRelease(v int64) { storeRelease((*int64)(unsafe.Pointer(&s.v)), v) }

// CompareAndSwap sets the value to new if it is old, reporting whether it did.
// Safe from any goroutine.
func (s *Sequence) CompareAndSwap(old, new int64) bool { return s.v.CompareAndSwap(old, new) }
