package shard

import (
	"bytes"
	"testing"
)

// TestBufferConsumeKeepsWriteOrder writes a buffer with shared segments in
// chunks of every size and checks the bytes come out in order.
func TestBufferConsumeKeepsWriteOrder(t *testing.T) {
	build := func() *buffer {
		b := &buffer{}
		b.b = append(b.b, "ab"...)
		b.segs = append(b.segs, segment{at: 2, p: []byte("SHARED1")})
		b.segs = append(b.segs, segment{at: 2, p: []byte("S2")})
		b.b = append(b.b, "cde"...)
		b.segs = append(b.segs, segment{at: 5, p: []byte("TAIL")})
		return b
	}
	want := "abSHARED1S2cdeTAIL"
	for chunk := 1; chunk <= len(want); chunk++ {
		b := build()
		if b.pending() != len(want) {
			t.Fatalf("pending %d, want %d", b.pending(), len(want))
		}
		var got bytes.Buffer
		for !b.empty() {
			// what a writev would send: own part up to the next segment, or the segment
			var next []byte
			if len(b.segs) > 0 && b.segs[0].at <= b.off {
				next = b.segs[0].p
			} else {
				lim := len(b.b)
				if len(b.segs) > 0 {
					lim = b.segs[0].at
				}
				next = b.b[b.off:lim]
			}
			k := min(chunk, len(next))
			got.Write(next[:k])
			b.consume(k)
		}
		if got.String() != want {
			t.Fatalf("chunk %d: got %q, want %q", chunk, got.String(), want)
		}
	}
}
