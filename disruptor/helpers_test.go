package disruptor

import (
	"sync"
	"testing"
	"time"
)

// patience bounds every wait in the tests. It is generous on purpose: it only
// turns a hang (a lost message or wake-up) into a failure.
const patience = 60 * time.Second

// msg is the slot type of the integration tests.
type msg struct {
	producer int
	n        int64 // 0, 1, 2... per producer
}

// ringFixture is one ring with its writer and reader.
type ringFixture struct {
	ring   *Ring[msg]
	writer Writer
	reader *Reader
}

func newFixture(t *testing.T, size int, shared bool, ws WaitStrategy) *ringFixture {
	t.Helper()
	ring, err := NewRing[msg](size)
	if err != nil {
		t.Fatalf("NewRing(%d): %v", size, err)
	}
	gate := NewSequence(-1)
	var w Writer
	if shared {
		w = NewSharedWriter(size, gate, ws)
	} else {
		w = NewSingleWriter(size, gate, ws)
	}
	return &ringFixture{ring: ring, writer: w, reader: NewReader(w, gate, ws)}
}

// produce publishes count messages from producer id in batches of up to batch.
func (f *ringFixture) produce(id int, count int64, batch int64) {
	for n := int64(0); n < count; {
		k := min(batch, count-n)
		lo, hi := f.writer.Reserve(k)
		for s := lo; s <= hi; s++ {
			*f.ring.Slot(s) = msg{producer: id, n: n}
			n++
		}
		f.writer.Commit(lo, hi)
	}
}

// consume reads total messages with Read and checks that each producer's
// messages arrive exactly once and in order. It returns the first problem.
func (f *ringFixture) consume(producers int, total int64) (problem string, got int64) {
	next := make([]int64, producers)
	for got < total {
		lo, hi := f.reader.Read()
		for s := lo; s <= hi; s++ {
			m := f.ring.Slot(s)
			if m.n != next[m.producer] {
				return "out of order or duplicated", got
			}
			next[m.producer]++
			got++
		}
		f.reader.Release(hi)
	}
	return "", got
}

// run starts producers goroutines of perProducer messages each and consumes
// them on the test goroutine, failing the test on any loss, duplicate,
// reordering or hang.
func (f *ringFixture) run(t *testing.T, producers int, perProducer, batch int64) {
	t.Helper()
	var wg sync.WaitGroup
	for id := range producers {
		wg.Go(func() { f.produce(id, perProducer, batch) })
	}
	type result struct {
		problem string
		got     int64
	}
	done := make(chan result, 1)
	go func() {
		p, g := f.consume(producers, int64(producers)*perProducer)
		done <- result{p, g}
	}()
	select {
	case r := <-done:
		if r.problem != "" {
			t.Fatalf("after %d messages: %s", r.got, r.problem)
		}
	case <-time.After(patience):
		t.Fatalf("consumer stuck: a message or wake-up was lost")
	}
	wg.Wait()
	if lo, hi, ok := f.reader.TryRead(); ok {
		t.Fatalf("extra messages %d..%d after all were consumed", lo, hi)
	}
}
