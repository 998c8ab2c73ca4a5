package shard

import (
	"runtime"
	"sync"
	"sync/atomic"

	goidpkg "github.com/petermattis/goid"
)

// loops records the goroutine of every running shard loop in this process,
// of every set, so a blocking call can tell it would block an event loop
// (or wait for its own shard, and never return) and refuse at once. The set
// is copied on write (loops start and stop rarely), so readers take no
// lock and share no cache line they write.
var loops struct {
	mu  sync.Mutex                          // serialises writers
	ids atomic.Pointer[map[uint64]struct{}] // goroutine numbers of running shard loops; nil while none
}

// enterLoop records the calling goroutine as a shard loop; exitLoop forgets
// it. Both run on the shard goroutine, at the start and end of run.
func enterLoop() uint64 {
	id := goid()
	loops.mu.Lock()
	next := map[uint64]struct{}{id: {}}
	if cur := loops.ids.Load(); cur != nil {
		for k := range *cur {
			next[k] = struct{}{}
		}
	}
	loops.ids.Store(&next)
	loops.mu.Unlock()
	return id
}

func exitLoop(id uint64) {
	loops.mu.Lock()
	var next map[uint64]struct{}
	if cur := loops.ids.Load(); cur != nil {
		next = make(map[uint64]struct{}, len(*cur))
		for k := range *cur {
			if k != id {
				next[k] = struct{}{}
			}
		}
	}
	if len(next) == 0 {
		loops.ids.Store(nil)
	} else {
		loops.ids.Store(&next)
	}
	loops.mu.Unlock()
}

// OnShard reports whether the calling goroutine is a shard's event loop (of
// any set of this process): an actor's Receive, or a hook the shard runs.
// Blocking calls use it to fail with ErrOnShard instead of blocking a loop.
// It costs an atomic load and a map lookup (about 10 ns), with no lock.
// Safe from any goroutine.
func OnShard() bool {
	ids := loops.ids.Load()
	if ids == nil {
		return false
	}
	_, ok := (*ids)[goid()]
	return ok
}

// goid returns the calling goroutine's number: read from the runtime's
// goroutine record by github.com/petermattis/goid (two nanoseconds), unless
// that disagreed with the stack header at start-up (a Go release that moved
// the field), in which case it is read from the stack header (microseconds).
func goid() uint64 {
	if fastGoid {
		return uint64(goidpkg.Get())
	}
	return stackGoid()
}

// fastGoid is whether goidpkg.Get agrees with the stack header here.
var fastGoid = checkFastGoid()

func checkFastGoid() bool {
	ok := make(chan bool, 1)
	go func() { ok <- uint64(goidpkg.Get()) == stackGoid() }() // a goroutine of its own: a number that is not 1
	return <-ok && uint64(goidpkg.Get()) == stackGoid()
}

// stackGoid reads the calling goroutine's number from the first line of its
// stack dump ("goroutine 42 [running]:").
func stackGoid() uint64 {
	var buf [32]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id uint64
	for _, ch := range b[len(prefix):] {
		if ch < '0' || ch > '9' {
			break
		}
		id = id*10 + uint64(ch-'0')
	}
	return id
}
