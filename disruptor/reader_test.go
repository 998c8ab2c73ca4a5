package disruptor

import (
	"testing"
	"time"
)

// TestReaderLingerDeliversEverything runs lingering readers through many
// wrap-arounds, with batches both under and over the linger minimum and a
// linger minimum larger than the ring: every message arrives exactly once,
// in per-producer order.
func TestReaderLingerDeliversEverything(t *testing.T) {
	tests := []struct {
		name      string
		shared    bool
		producers int
		size      int
		batch     int64
		min       int64
	}{
		{name: "SW/R64/B1/min16", size: 64, batch: 1, min: 16, producers: 1},
		{name: "SW/R64/B5/min128", size: 64, batch: 5, min: 128, producers: 1},
		{name: "SH/P8/R64/B1/min16", shared: true, size: 64, batch: 1, min: 16, producers: 8},
		{name: "SH/P4/R16/B3/min4", shared: true, size: 16, batch: 3, min: 4, producers: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewChanWaker()
			f := newFixture(t, tt.size, tt.shared, Park(NewParker(w), w))
			f.reader.Linger(tt.min, 20*time.Microsecond)
			f.run(t, tt.producers, 3000, tt.batch)
		})
	}
}

// TestReaderLingerReturnsWhatThereIs: a reader that lingers for more than
// will ever come still returns the one message published, once its linger
// time is over.
func TestReaderLingerReturnsWhatThereIs(t *testing.T) {
	f := newFixture(t, 64, false, Yield())
	f.reader.Linger(32, time.Millisecond)
	lo, hi := f.writer.Reserve(1)
	*f.ring.Slot(lo) = msg{n: 7}
	f.writer.Commit(lo, hi)
	rlo, rhi := f.reader.Read()
	if rlo != lo || rhi != hi || f.ring.Slot(rlo).n != 7 {
		t.Fatalf("Read = %d..%d, want %d..%d", rlo, rhi, lo, hi)
	}
	f.reader.Release(rhi)

	// Linger(0 or 1, d) and a non-positive d turn it off.
	for _, off := range []struct {
		min int64
		d   time.Duration
	}{{0, time.Hour}, {1, time.Hour}, {64, 0}, {64, -time.Second}} {
		f.reader.Linger(off.min, off.d)
		if f.reader.lingerMin != 0 {
			t.Fatalf("Linger(%d, %v) left lingering on", off.min, off.d)
		}
	}
}
