package disruptor

import (
	"fmt"
	"sync"
	"testing"
)

func TestSharedWriterManyProducers(t *testing.T) {
	tests := []struct {
		name      string
		producers int
		size      int
		perProd   int64
		batch     int64
		ws        func() WaitStrategy
	}{
		{name: "P8/R64/B1", producers: 8, size: 64, perProd: 4000, batch: 1, ws: Yield},
		{name: "P16/R64/B1", producers: 16, size: 64, perProd: 2000, batch: 1, ws: Yield},
		{name: "P16/R64/B7", producers: 16, size: 64, perProd: 2000, batch: 7, ws: Yield},
		{name: "P8/R64/B64", producers: 8, size: 64, perProd: 4000, batch: 64, ws: Yield},
		{name: "P4/R1/B1", producers: 4, size: 1, perProd: 2000, batch: 1, ws: Yield},
		{name: "P8/R16/B3/park", producers: 8, size: 16, perProd: 2000, batch: 3, ws: func() WaitStrategy {
			w := NewChanWaker()
			return Park(NewParker(w), w)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.size, true, tt.ws())
			f.run(t, tt.producers, tt.perProd, tt.batch)
			wraps := int64(tt.producers) * tt.perProd / int64(tt.size)
			if wraps < 100 {
				t.Fatalf("test shape too small: %d wrap-arounds", wraps)
			}
		})
	}
}

// TestSharedWriterTryReserveNeverSpurious fills an empty ring from many
// racing producers with exactly as many claims as it has slots: there is room
// for every one, so every TryReserve must succeed however the CASes collide.
func TestSharedWriterTryReserveNeverSpurious(t *testing.T) {
	const size, producers, rounds = 256, 16, 50
	f := newFixture(t, size, true, Yield())
	for round := range rounds {
		var wg sync.WaitGroup
		failed := make(chan int64, producers)
		for range producers {
			wg.Go(func() {
				for range size / producers {
					lo, hi, ok := f.writer.TryReserve(1)
					if !ok {
						failed <- f.writer.Cursor()
						return
					}
					f.writer.Commit(lo, hi)
				}
			})
		}
		wg.Wait()
		close(failed)
		for c := range failed {
			t.Fatalf("round %d: TryReserve failed with room left (cursor %d)", round, c)
		}
		lo, hi, ok := f.reader.TryRead()
		if !ok || hi-lo+1 != size {
			t.Fatalf("round %d: read %d..%d ok=%v, want %d slots", round, lo, hi, ok, size)
		}
		if _, _, ok := f.writer.TryReserve(1); ok {
			t.Fatalf("round %d: TryReserve succeeded on a full ring", round)
		}
		f.reader.Release(hi)
	}
}

func TestTryReserveFullAndEmpty(t *testing.T) {
	for _, shared := range []bool{false, true} {
		for _, size := range []int{1, 2, 8, 64} {
			t.Run(fmt.Sprintf("shared=%v/size=%d", shared, size), func(t *testing.T) {
				f := newFixture(t, size, shared, Spin())
				// Every n from 1 to size fits once the reader has released
				// everything; n = size+1 never fits.
				for round := range 3 {
					for n := int64(1); n <= int64(size); n++ {
						lo, hi, ok := f.writer.TryReserve(n)
						if !ok || hi-lo+1 != n {
							t.Fatalf("round %d: TryReserve(%d) = %d, %d, %v on an empty ring", round, n, lo, hi, ok)
						}
						f.writer.Commit(lo, hi)
						if _, _, ok := f.writer.TryReserve(int64(size) - n + 1); ok {
							t.Fatalf("TryReserve(%d) succeeded with %d free", int64(size)-n+1, int64(size)-n)
						}
						rlo, rhi, ok := f.reader.TryRead()
						if !ok || rlo != lo || rhi != hi {
							t.Fatalf("TryRead = %d, %d, %v; want %d, %d", rlo, rhi, ok, lo, hi)
						}
						f.reader.Release(rhi)
					}
				}
				if _, _, ok := f.writer.TryReserve(int64(size) + 1); ok {
					t.Fatalf("TryReserve(size+1) succeeded")
				}
			})
		}
	}
}

// TestSharedWriterOutOfOrderCommit checks that the reader stops at the first
// unpublished slot and sees the rest once the gap is filled.
func TestSharedWriterOutOfOrderCommit(t *testing.T) {
	f := newFixture(t, 8, true, Spin())
	a, _ := f.writer.Reserve(2) // 0..1
	b, _ := f.writer.Reserve(3) // 2..4
	f.writer.Commit(b, b+2)
	if _, _, ok := f.reader.TryRead(); ok {
		t.Fatalf("read past the unpublished 0..1")
	}
	f.writer.Commit(a, a+1)
	lo, hi, ok := f.reader.TryRead()
	if !ok || lo != 0 || hi != 4 {
		t.Fatalf("TryRead = %d, %d, %v; want 0, 4, true", lo, hi, ok)
	}
	f.reader.Release(1) // partial release
	lo, hi, _ = f.reader.TryRead()
	if lo != 2 || hi != 4 {
		t.Fatalf("after Release(1): TryRead = %d, %d; want 2, 4", lo, hi)
	}
}
