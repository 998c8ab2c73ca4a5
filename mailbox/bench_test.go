package mailbox

// Inbox throughput. P1/P4 = producer goroutines, one consumer draining in
// batches; one op = one message. Chan = a buffered channel of the same
// element type and capacity, in the same run, as the baseline.

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

type nopWaker struct{}

func (nopWaker) Wake() {}

func benchInbox(b *testing.B, producers int) {
	in, err := NewInbox[msg](8192, nopWaker{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	per := b.N / producers
	total := per * producers
	var wg sync.WaitGroup
	b.ResetTimer()
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			m := msg{producer: p}
			for i := 0; i < per; i++ {
				m.seq = i
				for !in.TryPut(&m) {
					runtime.Gosched() // full: let the consumer run
				}
			}
		}(p)
	}
	got := 0
	count := func(*msg) { got++ }
	for got < total {
		if in.Drain(1024, count) == 0 {
			runtime.Gosched() // empty: let the producers run
		}
	}
	wg.Wait()
}

func benchChan(b *testing.B, producers int) {
	c := make(chan msg, 8192)
	b.ReportAllocs()
	per := b.N / producers
	total := per * producers
	var wg sync.WaitGroup
	b.ResetTimer()
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			m := msg{producer: p}
			for i := 0; i < per; i++ {
				m.seq = i
				c <- m
			}
		}(p)
	}
	for i := 0; i < total; i++ {
		<-c
	}
	wg.Wait()
}

func BenchmarkInbox(b *testing.B) {
	for _, p := range []int{1, 4} {
		b.Run(fmt.Sprintf("Inbox/P%d", p), func(b *testing.B) { benchInbox(b, p) })
		b.Run(fmt.Sprintf("Chan/P%d", p), func(b *testing.B) { benchChan(b, p) })
	}
}
