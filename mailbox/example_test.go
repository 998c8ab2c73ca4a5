package mailbox_test

import (
	"fmt"
	"time"

	"github.com/shoalrt/shoal/mailbox"
)

type wake struct{ c chan struct{} }

func (w wake) Wake() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

// A consumer drains what producers put, and sleeps only after announcing it
// and re-checking, so no wake-up is lost.
func ExampleInbox() {
	w := wake{c: make(chan struct{}, 1)}
	in, _ := mailbox.NewInbox[string](8, w)
	go func() {
		for _, s := range []string{"a", "b", "c"} {
			v := s
			in.PutWait(&v, time.Minute)
		}
	}()
	got := 0
	for got < 3 {
		if in.Drain(8, func(s *string) { fmt.Println(*s); got++ }) > 0 {
			continue
		}
		in.Announce()
		if in.Empty() {
			<-w.c
		}
		in.Awake()
	}
	// Output:
	// a
	// b
	// c
}

// A Queue is a plain FIFO for one goroutine.
func ExampleQueue() {
	var q mailbox.Queue[int]
	q.Push(1)
	q.Push(2)
	v, _ := q.Pop()
	fmt.Println(v, q.Len())
	// Output:
	// 1 1
}
