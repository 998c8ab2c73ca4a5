//go:build linux

package reactor

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

const wakerToken = 0xFFFF_0000_0000_0001

func TestWakerWakesBlockedWait(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	w := newWaker(t)
	must(t, p.AddWaker(w, wakerToken))
	got := make(chan []Ready, 1)
	errc := make(chan error, 1)
	go func() {
		ready := make([]Ready, 4)
		n, err := p.Wait(ready, -1) // blocks until woken
		errc <- err
		got <- ready[:n]
	}()
	must(t, w.Wake())
	must(t, <-errc)
	mustEqual(t, []Ready{{Token: wakerToken, Events: Readable}}, <-got)
}

// The property AddWaker promises and the shard loop relies on: the waker is
// edge-triggered, so after a Wait has reported a wake it is quiet again
// without anybody reading the eventfd, and the next Wake — whatever the
// counter holds — wakes the next Wait.
func TestWakerEdgeTriggeredNeedsNoRead(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	w := newWaker(t)
	must(t, p.AddWaker(w, wakerToken))
	tests := []struct {
		name  string
		wakes int
	}{
		{name: "one wake", wakes: 1},
		{name: "wakes coalesce", wakes: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for round := range 50 {
				for range tc.wakes {
					must(t, w.Wake())
				}
				waitReady(t, p, wakerToken, Readable)
				if r := pollNow(t, p); len(r) != 0 {
					t.Fatalf("round %d: waker reported again without a new Wake: %v", round, r)
				}
			}
		})
	}
}

func TestWakerWakesEachLaterWaitFromAnotherGoroutine(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	w := newWaker(t)
	must(t, p.AddWaker(w, wakerToken))
	const rounds = 200
	woke := make(chan error)
	go func() {
		ready := make([]Ready, 4)
		for range rounds {
			n, err := p.Wait(ready, -1)
			if err == nil && (n != 1 || ready[0].Token != wakerToken) {
				err = unix.EINVAL
			}
			woke <- err
		}
	}()
	// Each Wake happens after the previous Wait returned, so each must wake a
	// separate Wait; a lost wake-up hangs the test.
	for range rounds {
		must(t, w.Wake())
		must(t, <-woke)
	}
}

func TestWakerFullCounterIsNotAnError(t *testing.T) {
	checkFds(t)
	w := newWaker(t)
	var max [8]byte
	binary.NativeEndian.PutUint64(max[:], 0xFFFF_FFFF_FFFF_FFFE)
	_, err := unix.Write(w.Fd(), max[:])
	must(t, err)
	must(t, w.Wake()) // the write gets EAGAIN
	must(t, w.Drain())
	must(t, w.Wake())
}

func TestWakerDrainReArmsLevelTriggered(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	w := newWaker(t)
	must(t, p.Add(w.Fd(), 9, Readable))
	must(t, w.Wake())
	waitReady(t, p, 9, Readable)
	mustLen(t, 1, pollNow(t, p)) // level-triggered: still readable
	must(t, w.Drain())
	mustLen(t, 0, pollNow(t, p))
	must(t, w.Drain()) // empty: EAGAIN is not an error
}

func TestWakerClosed(t *testing.T) {
	checkFds(t)
	w, err := NewWaker()
	must(t, err)
	must(t, w.Close())
	mustIs(t, w.Close(), ErrClosed)
	mustIs(t, w.Wake(), ErrClosed)
	mustIs(t, w.Drain(), ErrClosed)
}
