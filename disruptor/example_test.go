package disruptor_test

import (
	"fmt"
	"sync"

	"github.com/shoalrt/shoal/disruptor"
)

// Many producers feed one consumer through a shared writer. The consumer is a
// plain goroutine that parks on a ChanWaker when the ring is empty; producers
// wake it at most once per sleep.
func Example() {
	const size = 64
	ring, err := disruptor.NewRing[int](size)
	if err != nil {
		panic(err)
	}
	waker := disruptor.NewChanWaker()
	ws := disruptor.Park(disruptor.NewParker(waker), waker)
	gate := disruptor.NewSequence(-1) // last sequence the reader released
	writer := disruptor.NewSharedWriter(size, gate, ws)
	reader := disruptor.NewReader(writer, gate, ws)

	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 100 {
				lo, _ := writer.Reserve(1)
				*ring.Slot(lo) = p*1000 + i
				writer.Commit(lo, lo) // signals the parked reader if it sleeps
			}
		})
	}

	sum := 0
	for got := 0; got < 400; {
		lo, hi := reader.Read() // a whole batch
		for s := lo; s <= hi; s++ {
			sum += *ring.Slot(s)
		}
		reader.Release(hi)
		got += int(hi - lo + 1)
	}
	wg.Wait()
	fmt.Println(sum)
	// Output: 619800
}

// A single producer reserves batches; TryReserve reports a full ring instead
// of waiting.
func ExampleSingleWriter() {
	ring, _ := disruptor.NewRing[string](4)
	gate := disruptor.NewSequence(-1)
	writer := disruptor.NewSingleWriter(ring.Size(), gate, disruptor.Yield())
	reader := disruptor.NewReader(writer, gate, disruptor.Yield())

	lo, hi, _ := writer.TryReserve(3)
	for s, word := range []string{"a", "b", "c"} {
		*ring.Slot(lo + int64(s)) = word
	}
	writer.Commit(lo, hi)
	_, _, ok := writer.TryReserve(2) // only one slot left
	fmt.Println("room for 2:", ok)

	lo, hi, _ = reader.TryRead()
	for s := lo; s <= hi; s++ {
		fmt.Print(*ring.Slot(s))
	}
	reader.Release(hi)
	_, _, ok = writer.TryReserve(2)
	fmt.Println("\nroom for 2 after release:", ok)
	// Output:
	// room for 2: false
	// abc
	// room for 2 after release: true
}

// A consumer that blocks elsewhere (a reactor in epoll_wait) drives a Parker
// by hand: announce, re-check, and only then block.
func ExampleParker() {
	waker := disruptor.NewChanWaker() // a reactor would pass an eventfd writer
	parker := disruptor.NewParker(waker)
	queued := make(chan int, 1) // stands in for the consumer's rings

	parker.Announce()    // consumer: about to sleep
	if len(queued) > 0 { // re-check before blocking
		parker.Awake()
	}
	queued <- 42    // producer: commit…
	parker.Notify() // …then wake the sleeper (one Wake per sleep)
	parker.Notify() // a second producer: no second Wake
	waker.Sleep()   // consumer: the block returns
	parker.Awake()
	fmt.Println(<-queued, parker.Sleeping())
	// Output: 42 false
}
