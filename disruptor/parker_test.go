package disruptor

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pipeWaker is a Sleeper on an OS pipe, standing in for a reactor's eventfd:
// Wake is a write(2), Sleep a blocking read(2) that drains what is pending.
type pipeWaker struct {
	r, w *os.File
}

func newPipeWaker(t *testing.T) *pipeWaker {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return &pipeWaker{r: r, w: w}
}

func (p *pipeWaker) Wake() { _, _ = p.w.Write([]byte{1}) }

func (p *pipeWaker) Sleep() {
	var buf [64]byte
	_, _ = p.r.Read(buf[:])
}

// countingSleeper counts Wake calls.
type countingSleeper struct {
	Sleeper
	wakes atomic.Int64
}

func (c *countingSleeper) Wake() { c.wakes.Add(1); c.Sleeper.Wake() }

// TestParkerNoLostWakeup runs producers that commit and Notify against a
// consumer that announces, re-checks and blocks in a real blocking call. Every
// so often each producer waits until the consumer has announced sleep before
// it commits, so the race between the announcement and the commit is hit
// often. A lost wake-up leaves the consumer blocked forever.
func TestParkerNoLostWakeup(t *testing.T) {
	tests := []struct {
		name      string
		producers int
		perProd   int64
		every     int64 // a producer waits for the consumer to sleep before every every-th message
		sleeper   func(t *testing.T) Sleeper
		reactor   bool // drive the Parker by hand, as a reactor would; else Reader.Read with Park
		light     bool // a light Parker: commits are release stores
	}{
		// The pipe cases force fewer sleeps: while producers spin in
		// Gosched waiting for the consumer to sleep, the Go scheduler polls
		// the pipe only every ~10 ms, so each forced sleep costs that long.
		{name: "chan/reactor", producers: 4, perProd: 5000, every: 20, sleeper: func(*testing.T) Sleeper { return NewChanWaker() }, reactor: true},
		{name: "pipe/reactor", producers: 4, perProd: 1500, every: 500, sleeper: func(t *testing.T) Sleeper { return newPipeWaker(t) }, reactor: true},
		{name: "chan/park", producers: 8, perProd: 2500, every: 20, sleeper: func(*testing.T) Sleeper { return NewChanWaker() }},
		{name: "pipe/park", producers: 8, perProd: 1500, every: 500, sleeper: func(t *testing.T) Sleeper { return newPipeWaker(t) }},
		{name: "chan/park/light", producers: 8, perProd: 2500, every: 20, sleeper: func(*testing.T) Sleeper { return NewChanWaker() }, light: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sl := &countingSleeper{Sleeper: tt.sleeper(t)}
			p := NewParker(sl)
			if tt.light {
				p = NewLightParker(sl)
			}
			ws := Yield()
			if !tt.reactor {
				ws = Park(p, sl)
			}
			f := newFixture(t, 32, true, ws)
			total := int64(tt.producers) * tt.perProd
			var announces, sleeps atomic.Int64

			var wg sync.WaitGroup
			for id := range tt.producers {
				wg.Go(func() {
					for n := range tt.perProd {
						if n%tt.every == 0 {
							for !p.Sleeping() {
								runtime.Gosched()
							}
						}
						lo, _ := f.writer.Reserve(1)
						*f.ring.Slot(lo) = msg{producer: id, n: n}
						f.writer.Commit(lo, lo)
						p.Notify() // a no-op second notify when ws is Park
					}
				})
			}

			done := make(chan string, 1)
			go func() {
				next := make([]int64, tt.producers)
				for got := int64(0); got < total; {
					var lo, hi int64
					if tt.reactor {
						var ok bool
						if lo, hi, ok = f.reader.TryRead(); !ok {
							p.Announce()
							announces.Add(1)
							if _, _, ok = f.reader.TryRead(); !ok { // re-check (a range found is read next round)
								sl.Sleep()
								sleeps.Add(1)
							}
							p.Awake()
							continue
						}
					} else {
						lo, hi = f.reader.Read()
					}
					for s := lo; s <= hi; s++ {
						m := f.ring.Slot(s)
						if m.n != next[m.producer] {
							done <- "out of order or duplicated"
							return
						}
						next[m.producer]++
						got++
					}
					f.reader.Release(hi)
				}
				done <- ""
			}()
			select {
			case problem := <-done:
				if problem != "" {
					t.Fatal(problem)
				}
			case <-time.After(patience):
				t.Fatalf("consumer never woke: lost wake-up (wakes %d, announces %d)", sl.wakes.Load(), announces.Load())
			}
			wg.Wait()
			if tt.reactor {
				if w, a := sl.wakes.Load(), announces.Load(); w > a {
					t.Fatalf("%d wakes for %d announcements: more than one per sleep", w, a)
				}
			}
			if sl.wakes.Load() == 0 {
				t.Fatalf("consumer never woken: the test did not exercise parking")
			}
			t.Logf("wakes %d, announces %d, sleeps %d", sl.wakes.Load(), announces.Load(), sleeps.Load())
		})
	}
}

// TestParkerStates checks the state machine on one goroutine.
func TestParkerStates(t *testing.T) {
	sl := &countingSleeper{Sleeper: NewChanWaker()}
	p := NewParker(sl)
	steps := []struct {
		name         string
		do           func()
		wantSleeping bool
		wantWakes    int64
	}{
		{name: "new parker runs", do: func() {}, wantSleeping: false, wantWakes: 0},
		{name: "notify while running", do: p.Notify, wantSleeping: false, wantWakes: 0},
		{name: "announce", do: p.Announce, wantSleeping: true, wantWakes: 0},
		{name: "first notify wakes", do: p.Notify, wantSleeping: false, wantWakes: 1},
		{name: "second notify does not", do: p.Notify, wantSleeping: false, wantWakes: 1},
		{name: "awake", do: p.Awake, wantSleeping: false, wantWakes: 1},
		{name: "announce again", do: p.Announce, wantSleeping: true, wantWakes: 1},
		{name: "awake before any notify", do: p.Awake, wantSleeping: false, wantWakes: 1},
		{name: "notify after awake", do: p.Notify, wantSleeping: false, wantWakes: 1},
	}
	for _, s := range steps {
		s.do()
		if p.Sleeping() != s.wantSleeping || sl.wakes.Load() != s.wantWakes {
			t.Fatalf("%s: Sleeping=%v wakes=%d; want %v, %d", s.name, p.Sleeping(), sl.wakes.Load(), s.wantSleeping, s.wantWakes)
		}
	}
}

func TestChanWakerKeepsOneToken(t *testing.T) {
	c := NewChanWaker()
	c.Wake()
	c.Wake() // must not block
	c.Sleep()
	select {
	case <-c.C():
		t.Fatal("two tokens pending after two Wakes")
	default:
	}
}

// TestParkBlocksWritersUntilRelease fills a ring, lets producers block for
// room in Park's Backoff, and checks that releasing wakes every one of them.
func TestParkBlocksWritersUntilRelease(t *testing.T) {
	const size, producers = 4, 3
	w := NewChanWaker()
	ws := Park(NewParker(w), w)
	f := newFixture(t, size, true, ws)
	lo, hi := f.writer.Reserve(size) // fill the ring
	f.writer.Commit(lo, hi)

	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			lo, hi := f.writer.Reserve(1)
			f.writer.Commit(lo, hi)
		})
	}
	deadline := time.Now().Add(patience)
	for ws.(*park).blocked.Load() < producers {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d producers blocked", ws.(*park).blocked.Load(), producers)
		}
		runtime.Gosched()
	}
	_, hi, _ = f.reader.TryRead()
	f.reader.Release(hi) // must wake all three
	wg.Wait()
	if lo, hi, ok := f.reader.TryRead(); !ok || hi-lo+1 != producers {
		t.Fatalf("after release read %d..%d ok=%v, want %d messages", lo, hi, ok, producers)
	}
}

// TestLightParkerNoLostWakeup is TestParkerNoLostWakeup for a single writer
// whose commits are release stores (a light Parker), checking that the
// protocol still delivers everything and wakes the consumer. It cannot
// catch a missing barrier: the window in which a plain store still sits in
// the producer's store buffer is a few nanoseconds, far shorter than the
// consumer's path from Announce to its re-check. That the barrier closes it
// is argued in NewLightParker. Without the race detector this runs the
// plain-store commit (CI runs it so too); with it, the sequentially
// consistent stand-in.
func TestLightParkerNoLostWakeup(t *testing.T) {
	for _, reactor := range []bool{true, false} {
		t.Run(fmt.Sprintf("reactor=%v", reactor), func(t *testing.T) {
			sl := &countingSleeper{Sleeper: NewChanWaker()}
			p := NewLightParker(sl)
			if processBarrierAvailable() && releasePlain && !p.Light() {
				t.Fatal("a light Parker fell back although the barrier works here")
			}
			ws := Yield()
			if !reactor {
				ws = Park(p, sl)
			}
			f := newFixture(t, 64, false, ws)
			if sw := f.writer.(*SingleWriter); sw.relaxed != (!reactor && p.Light()) {
				t.Fatalf("relaxed commit %v with reactor=%v light=%v", sw.relaxed, reactor, p.Light())
			}
			const total, every = 40000, 16
			go func() {
				for n := int64(0); n < total; n++ {
					if n%every == 0 {
						for !p.Sleeping() {
							runtime.Gosched()
						}
					}
					lo, _ := f.writer.Reserve(1)
					*f.ring.Slot(lo) = msg{n: n}
					f.writer.Commit(lo, lo)
					p.Notify() // a no-op second notify when ws is Park
				}
			}()
			done := make(chan string, 1)
			go func() {
				next := int64(0)
				for next < total {
					var lo, hi int64
					if reactor {
						var ok bool
						if lo, hi, ok = f.reader.TryRead(); !ok {
							p.Announce()
							if _, _, ok = f.reader.TryRead(); !ok { // re-check
								sl.Sleep()
							}
							p.Awake()
							continue
						}
					} else {
						lo, hi = f.reader.Read()
					}
					for s := lo; s <= hi; s++ {
						if m := f.ring.Slot(s); m.n != next {
							done <- fmt.Sprintf("got %d, want %d", m.n, next)
							return
						}
						next++
					}
					f.reader.Release(hi)
				}
				done <- ""
			}()
			select {
			case problem := <-done:
				if problem != "" {
					t.Fatal(problem)
				}
			case <-time.After(patience):
				t.Fatalf("consumer never woke: lost wake-up (wakes %d)", sl.wakes.Load())
			}
			if sl.wakes.Load() == 0 {
				t.Fatal("consumer never woken: the test did not exercise parking")
			}
		})
	}
}
