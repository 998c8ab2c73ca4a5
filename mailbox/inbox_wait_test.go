package mailbox

import (
	"sync"
	"testing"
	"time"
)

// Producers that find the inbox full park in PutWait (no spinning) and are
// woken by the consumer's releases: every message arrives once, in each
// producer's order, even though the consumer drains only now and then.
func TestInboxPutWaitParksUntilTheConsumerFreesRoom(t *testing.T) {
	const producers, each = 4, 2000
	w := chanWaker{c: make(chan struct{}, 1)}
	in, err := NewInbox[msg](8, w)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := in.PutWait(&msg{producer: p, seq: i}, time.Minute); err != nil {
					errs <- err
					return
				}
			}
		}(p)
	}
	next := make([]int, producers)
	total := 0
	deadline := time.Now().Add(time.Minute)
	for total < producers*each && time.Now().Before(deadline) {
		in.Drain(3, func(m *msg) { // small batches: producers keep finding it full
			if m.seq != next[m.producer] {
				t.Errorf("producer %d: got seq %d, want %d", m.producer, m.seq, next[m.producer])
			}
			next[m.producer]++
			total++
		})
		in.Announce() // announce, re-check, then block: as a shard does
		if in.Empty() {
			select {
			case <-w.c:
			case <-time.After(time.Second):
			}
		}
		in.Awake()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("PutWait: %v", err)
	}
	if total != producers*each {
		t.Fatalf("delivered %d of %d", total, producers*each)
	}
}

// A full inbox whose consumer never drains makes PutWait give up with
// ErrInboxFull once its wait is over, without taking a slot.
func TestInboxPutWaitGivesUpAfterItsWait(t *testing.T) {
	in, err := NewInbox[msg](2, chanWaker{c: make(chan struct{}, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if !in.TryPut(&msg{seq: i}) {
			t.Fatal("put into an empty inbox failed")
		}
	}
	if err := in.PutWait(&msg{seq: 2}, 20*time.Millisecond); err != ErrInboxFull {
		t.Fatalf("PutWait on a stuck inbox: %v, want ErrInboxFull", err)
	}
	if in.Depth() != 2 {
		t.Fatalf("Depth = %d, want 2", in.Depth())
	}
	// Room freed while a producer is parked wakes it at once.
	done := make(chan error, 1)
	go func() { done <- in.PutWait(&msg{seq: 2}, time.Minute) }()
	for in.room.waiters.Load() == 0 {
		time.Sleep(time.Millisecond) // wait for the producer to park (the condition, not a duration, is what counts)
	}
	in.Drain(1, func(*msg) {})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("parked PutWait: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a parked PutWait was not woken by a release")
	}
}

// Close races with producers: every put that reported success is handed
// over by the Drain after Close, every later one fails, and producers
// parked for room wake with ErrClosed.
func TestInboxCloseLosesNoReportedPut(t *testing.T) {
	for round := 0; round < 50; round++ {
		in, err := NewInbox[msg](8, chanWaker{c: make(chan struct{}, 1)})
		if err != nil {
			t.Fatal(err)
		}
		const producers = 4
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for p := 0; p < producers; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					err := in.PutWait(&msg{producer: p, seq: i}, time.Minute)
					if err == ErrClosed {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		drained := 0
		for i := 0; i < round; i++ { // let some through, leave the rest parked on a full inbox
			drained += in.Drain(2, func(*msg) {})
		}
		in.Close(func(*msg) { drained++ })
		wg.Wait()
		if drained != ok {
			t.Fatalf("round %d: %d puts reported done, %d drained", round, ok, drained)
		}
		if in.TryPut(&msg{}) || in.PutWait(&msg{}, time.Minute) != ErrClosed {
			t.Fatal("a put into a closed inbox went in")
		}
	}
}
