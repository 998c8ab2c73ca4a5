package mailbox

import "testing"

func TestQueueIsFIFOAcrossGrowthAndWrap(t *testing.T) {
	var q Queue[int]
	next, want := 0, 0
	// interleave pushes and pops so head wraps around while the ring grows
	for round := 0; round < 50; round++ {
		for i := 0; i < round*3; i++ {
			q.Push(next)
			next++
		}
		for i := 0; i < round*2; i++ {
			v, ok := q.Pop()
			if !ok || v != want {
				t.Fatalf("pop %d: got %d, %v; want %d", want, v, ok, want)
			}
			want++
		}
	}
	for q.Len() > 0 {
		v, _ := q.Pop()
		if v != want {
			t.Fatalf("got %d, want %d", v, want)
		}
		want++
	}
	if want != next {
		t.Fatalf("popped %d of %d", want, next)
	}
	if _, ok := q.Pop(); ok {
		t.Fatal("pop from empty queue succeeded")
	}
}

func TestQueuePopDropsReferences(t *testing.T) {
	var q Queue[*int]
	x := 1
	q.Push(&x)
	q.Pop()
	if q.buf[0] != nil {
		t.Fatal("popped slot still references its value")
	}
}
