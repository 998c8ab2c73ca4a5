package disruptor

// Key: SW = single writer, SH = shared writer, Chan = buffered channel
// baseline, P4 = 4 producer goroutines, B16 = reserve (or, for the channel,
// send) 16 messages per step, -linger = the consumer lingers (Reader.Linger)
// over batches under 64 messages for up to 2µs. One consumer reads
// everything; one op = one message (an int64) through the queue, timed until
// the consumer has read the last one. Ring and channel both hold 1024
// messages; the disruptor sides wait with Park (see benchWait). Each shape
// runs SW/SH and Chan back to back; compare them as ratios within one run.

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

const benchSize = 1024

var benchShapes = []struct {
	producers int
	batch     int64
}{
	{1, 1}, {1, 16}, {4, 1}, {4, 16}, {8, 1}, {8, 16},
}

// BenchmarkQueue runs every shape on the disruptor and on the channel back to
// back, so each pair sees the same machine load.
func BenchmarkQueue(b *testing.B) {
	for _, s := range benchShapes {
		shape := fmt.Sprintf("P%d-B%d", s.producers, s.batch)
		if s.producers == 1 {
			b.Run(shape+"/SW", func(b *testing.B) { benchRing(b, false, s.producers, s.batch, false) })
			if s.batch == 1 {
				b.Run(shape+"/SW-linger", func(b *testing.B) { benchRing(b, false, s.producers, s.batch, true) })
			}
		}
		b.Run(shape+"/SH", func(b *testing.B) { benchRing(b, true, s.producers, s.batch, false) })
		if s.batch == 1 {
			b.Run(shape+"/SH-linger", func(b *testing.B) { benchRing(b, true, s.producers, s.batch, true) })
		}
		b.Run(shape+"/Chan", func(b *testing.B) { benchChan(b, s.producers, s.batch) })
	}
}

// benchWait is the wait strategy of the disruptor benchmarks: the consumer
// spins, yields, then parks on a channel, as a plain-goroutine consumer would;
// producers that find the ring full block until it drains, like channel
// senders. The Parker is light, so a single writer commits with a release
// store (a plain store on amd64).
func benchWait() WaitStrategy {
	w := NewChanWaker()
	return Park(NewLightParker(w), w)
}

// perProducer splits b.N messages over producers, rounding up.
func perProducer(n, producers int) int64 { return int64((n + producers - 1) / producers) }

// benchLinger is the Linger setting of the -linger variants: a consumer that
// finds fewer than 64 messages spins up to 2µs for more.
const (
	benchLingerMin = 64
	benchLingerFor = 2 * time.Microsecond
)

func benchRing(b *testing.B, shared bool, producers int, batch int64, linger bool) {
	ring, err := NewRing[int64](benchSize)
	if err != nil {
		b.Fatal(err)
	}
	gate := NewSequence(-1)
	ws := benchWait()
	var w Writer
	if shared {
		w = NewSharedWriter(benchSize, gate, ws)
	} else {
		w = NewSingleWriter(benchSize, gate, ws)
	}
	r := NewReader(w, gate, ws)
	if linger {
		r.Linger(benchLingerMin, benchLingerFor)
	}
	per := perProducer(b.N, producers)
	total := per * int64(producers)
	b.ReportAllocs()
	b.ResetTimer()

	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			if sw, ok := w.(*SingleWriter); ok { // as a user holds it: no interface call
				produceSingle(sw, ring, per, batch)
				return
			}
			produce(w, ring, per, batch)
		})
	}
	var sum int64
	for got := int64(0); got < total; {
		lo, hi := r.Read()
		for s := lo; s <= hi; s++ {
			sum += *ring.Slot(s)
		}
		r.Release(hi)
		got += hi - lo + 1
	}
	wg.Wait()
	if want := total * (total - 1) / 2; sum != want {
		b.Fatalf("sum %d, want %d", sum, want)
	}
}

// produceSingle is produce for a *SingleWriter, called directly.
func produceSingle(w *SingleWriter, ring *Ring[int64], per, batch int64) {
	for n := int64(0); n < per; {
		k := min(batch, per-n)
		lo, hi := w.Reserve(k)
		for s := lo; s <= hi; s++ {
			*ring.Slot(s) = s
		}
		w.Commit(lo, hi)
		n += k
	}
}

// produce publishes per messages through w, batch at a time.
func produce(w Writer, ring *Ring[int64], per, batch int64) {
	for n := int64(0); n < per; {
		k := min(batch, per-n)
		lo, hi := w.Reserve(k)
		for s := lo; s <= hi; s++ {
			*ring.Slot(s) = s
		}
		w.Commit(lo, hi)
		n += k
	}
}

func benchChan(b *testing.B, producers int, batch int64) {
	ch := make(chan int64, benchSize)
	per := perProducer(b.N, producers)
	total := per * int64(producers)
	b.ReportAllocs()
	b.ResetTimer()

	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for n := int64(0); n < per; {
				k := min(batch, per-n)
				for i := range k {
					ch <- n + i
				}
				n += k
			}
		})
	}
	var sum int64
	for range total {
		sum += <-ch
	}
	wg.Wait()
	if want := int64(producers) * per * (per - 1) / 2; sum != want {
		b.Fatalf("sum %d, want %d", sum, want)
	}
}
