package mailbox

import (
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/disruptor"
)

type msg struct {
	producer, seq int
	payload       *int // a reference the inbox must drop once drained
}

// chanWaker is a blocking waker for a consumer goroutine in tests.
type chanWaker struct{ c chan struct{} }

func (w chanWaker) Wake() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

func TestInboxDeliversEveryMessageOnceInProducerOrder(t *testing.T) {
	const producers, each = 8, 4000
	w := chanWaker{c: make(chan struct{}, 1)}
	in, err := NewInbox[msg](64, w)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m := msg{producer: p, seq: i}
				switch i % 3 {
				case 0:
					if err := in.PutWait(&m, time.Minute); err != nil {
						t.Error(err)
						return
					}
				case 1:
					for in.PutWait(&m, 0) != nil {
					}
				default:
					for !in.TryPut(&m) {
					}
				}
			}
		}(p)
	}
	next := make([]int, producers)
	total := 0
	deliver := func(m *msg) {
		if m.seq != next[m.producer] {
			t.Errorf("producer %d: got seq %d, want %d", m.producer, m.seq, next[m.producer])
		}
		next[m.producer]++
		total++
	}
	for total < producers*each {
		if in.Drain(17, deliver) > 0 {
			continue
		}
		// announce, re-check, then block until a producer wakes us
		in.Announce()
		if !in.Empty() {
			in.Awake()
			continue
		}
		<-w.c
		in.Awake()
	}
	wg.Wait()
	if !in.Empty() || in.Depth() != 0 {
		t.Fatal("inbox not empty after every message was drained")
	}
}

func TestInboxTryPutFailsOnlyWhenFullAndDropsReferences(t *testing.T) {
	in, err := NewInbox[msg](4, chanWaker{c: make(chan struct{}, 1)})
	if err != nil {
		t.Fatal(err)
	}
	x := 7
	for i := 0; i < 4; i++ {
		if !in.TryPut(&msg{seq: i, payload: &x}) {
			t.Fatalf("put %d into a ring of 4 failed", i)
		}
	}
	if in.TryPut(&msg{seq: 4}) {
		t.Fatal("put into a full inbox succeeded")
	}
	if err := in.PutWait(&msg{seq: 4}, 0); err != ErrInboxFull {
		t.Fatalf("PutWait on a full inbox: %v, want ErrInboxFull", err)
	}
	if in.Depth() != 4 {
		t.Fatalf("Depth = %d, want 4", in.Depth())
	}
	if n := in.Drain(2, func(*msg) {}); n != 2 {
		t.Fatalf("drained %d, want 2", n)
	}
	for s := int64(0); s < 2; s++ {
		if in.ring.Slot(s).payload != nil {
			t.Fatal("a drained slot still references its payload")
		}
	}
	if !in.TryPut(&msg{seq: 4}) {
		t.Fatal("put after draining failed")
	}
}

func TestNewInboxRejectsBadSize(t *testing.T) {
	if _, err := NewInbox[msg](3, chanWaker{}); err == nil {
		t.Fatal("size 3 accepted")
	}
}

var _ disruptor.Waker = chanWaker{}

func TestInboxTryPutQueueMovesWhatFitsInOrder(t *testing.T) {
	in, err := NewInbox[msg](8, chanWaker{c: make(chan struct{}, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var q Queue[msg]
	for i := 0; i < 20; i++ {
		q.Push(msg{seq: i})
	}
	if n := in.TryPutQueue(&q, 5); n != 5 || q.Len() != 15 {
		t.Fatalf("moved %d, left %d; want 5, 15", n, q.Len())
	}
	moved := 0
	for n := in.TryPutQueue(&q, 100); n > 0; n = in.TryPutQueue(&q, 100) {
		moved += n
	}
	if moved != 3 || q.Len() != 12 {
		t.Fatalf("moved %d into 3 free slots, left %d", moved, q.Len())
	}
	next := 0
	in.Drain(100, func(m *msg) {
		if m.seq != next {
			t.Fatalf("got %d, want %d", m.seq, next)
		}
		next++
	})
	if next != 8 {
		t.Fatalf("drained %d, want 8", next)
	}
}

func TestInboxDrainConsumesUpToAPanicAndGoesOn(t *testing.T) {
	in, err := NewInbox[msg](8, chanWaker{c: make(chan struct{}, 1)})
	if err != nil {
		t.Fatal(err)
	}
	x := 1
	for i := 0; i < 6; i++ { // wraps: slots 0..5, then below
		in.TryPut(&msg{seq: i, payload: &x})
	}
	in.Drain(4, func(*msg) {})
	for i := 6; i < 12; i++ { // seq 6..11 in slots 6,7,0,1,2,3
		if !in.TryPut(&msg{seq: i, payload: &x}) {
			t.Fatalf("put %d failed", i)
		}
	}
	var got []int
	drain := func(panicAt int) (n int, panicked any) {
		defer func() { panicked = recover() }()
		return in.Drain(100, func(m *msg) {
			got = append(got, m.seq)
			if m.seq == panicAt {
				panic("boom")
			}
		}), nil
	}
	if _, p := drain(7); p != "boom" {
		t.Fatalf("panic = %v, want boom", p)
	}
	if in.Depth() != 4 {
		t.Fatalf("after a panic at seq 7, Depth = %d, want 4 (8..11)", in.Depth())
	}
	for s := int64(4); s < 8; s++ { // seq 4..7: handed over, so cleared
		if in.ring.Slot(s).payload != nil {
			t.Fatalf("slot %d, handed over before the panic, still references its payload", s)
		}
	}
	if _, p := drain(9); p != "boom" { // across the wrap: seq 8 in slot 0, 9 in slot 1
		t.Fatalf("panic = %v, want boom", p)
	}
	if n, p := drain(-1); p != nil || n != 2 {
		t.Fatalf("last drain: %d values, panic %v; want 2, none", n, p)
	}
	want := []int{4, 5, 6, 7, 8, 9, 10, 11}
	if len(got) != len(want) {
		t.Fatalf("handed over %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("handed over %v, want %v: nothing twice, nothing lost", got, want)
		}
	}
	for s := int64(0); s < 8; s++ {
		if in.ring.Slot(s).payload != nil {
			t.Fatalf("slot %d still references its payload", s)
		}
	}
}
