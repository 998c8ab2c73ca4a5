package websocket

import "sync"

// Message buffers: a fragmented or compressed message is assembled in a
// buffer taken from these pools when the message starts and returned when
// it has been delivered, so an idle stream holds none. Buffers come in size
// classes of 4 KiB × 4^k up to 4 MiB; larger ones are not pooled.
const (
	minBufShift = 12 // 4 KiB
	numBufClass = 6  // 4 KiB, 16 KiB, 64 KiB, 256 KiB, 1 MiB, 4 MiB
)

var bufPools [numBufClass]sync.Pool // *[]byte of len 0 and cap of the class

// bufClass returns the smallest class holding n bytes, or -1.
func bufClass(n int) int {
	for c := range numBufClass {
		if n <= 1<<(minBufShift+2*c) {
			return c
		}
	}
	return -1
}

// getBuf returns an empty buffer of capacity at least n.
func getBuf(n int) *[]byte {
	c := bufClass(n)
	if c < 0 {
		b := make([]byte, 0, n)
		return &b
	}
	if p, ok := bufPools[c].Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 0, 1<<(minBufShift+2*c))
	return &b
}

// putBuf returns p to its pool (unless it is of no class).
func putBuf(p *[]byte) {
	c := bufClass(cap(*p))
	if c < 0 || cap(*p) != 1<<(minBufShift+2*c) {
		return
	}
	*p = (*p)[:0]
	bufPools[c].Put(p)
}

// growBuf returns a buffer holding p's bytes with capacity for need bytes:
// p itself if it is large enough, else a larger one (p goes back to its
// pool).
func growBuf(p *[]byte, need int) *[]byte {
	if cap(*p) >= need {
		return p
	}
	q := getBuf(max(need, 2*cap(*p)))
	*q = append(*q, *p...)
	putBuf(p)
	return q
}
