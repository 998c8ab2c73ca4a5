//go:build linux

package reactor

import (
	"math"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPollerReportsEventsWithToken(t *testing.T) {
	writePeer := func(t *testing.T, p *pair) { writeAll(t, p.fds[1], "ping") }
	closePeer := func(t *testing.T, p *pair) { p.close(1) }
	shutPeer := func(t *testing.T, p *pair) { must(t, Shutdown(p.fds[1], unix.SHUT_WR)) }
	tests := []struct {
		name     string
		open     func(*testing.T) *pair
		interest Events
		quiet    bool // nothing may be ready before act
		act      func(*testing.T, *pair)
		want     Events
		notWant  Events
	}{
		{name: "tcp readable after peer writes", open: tcpLoopback, interest: Readable, quiet: true,
			act: writePeer, want: Readable, notWant: Writable | HangUp},
		{name: "tcp writable", open: tcpLoopback, interest: Writable,
			want: Writable, notWant: Readable},
		{name: "tcp hangup when peer closes", open: tcpLoopback, interest: Readable, quiet: true,
			act: closePeer, want: Readable | HangUp},
		{name: "tcp hangup when peer shuts down writing", open: tcpLoopback, interest: Readable, quiet: true,
			act: shutPeer, want: HangUp},
		{name: "pipe readable after write", open: pipeReadEnd, interest: Readable, quiet: true,
			act: writePeer, want: Readable, notWant: HangUp},
		{name: "pipe hangup when writer closes", open: pipeReadEnd, interest: Readable, quiet: true,
			act: closePeer, want: HangUp},
		{name: "pipe writable", open: pipeWriteEnd, interest: Writable,
			want: Writable, notWant: Readable},
		{name: "pipe error when reader closes", open: pipeWriteEnd, interest: Writable,
			act: closePeer, want: Error},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFds(t)
			p := newPoller(t)
			pr := tc.open(t)
			token := uint64(0xC0FFEE)<<40 | uint64(i)
			must(t, p.Add(pr.fds[0], token, tc.interest))
			if tc.quiet {
				mustLen(t, 0, pollNow(t, p))
			}
			if tc.act != nil {
				tc.act(t, pr)
			}
			got := waitReady(t, p, token, tc.want)
			mustZero(t, got&tc.notWant, "got %v", got)
		})
	}
}

func TestPollerModify(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	pr := tcpLoopback(t)
	fd := pr.fds[0]
	must(t, p.Add(fd, 1, Readable))
	mustLen(t, 0, pollNow(t, p))

	must(t, p.Modify(fd, 2, Writable))
	mustEqual(t, []Ready{{Token: 2, Events: Writable}}, pollNow(t, p))

	must(t, p.Modify(fd, 3, Readable))
	mustLen(t, 0, pollNow(t, p))
	writeAll(t, pr.fds[1], "x")
	got := waitReady(t, p, 3, Readable)
	mustZero(t, got&Writable)

	mustIs(t, p.Modify(pr.fds[1], 4, Readable), unix.ENOENT)
}

func TestPollerRemove(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	pr := tcpLoopback(t)
	fd := pr.fds[0]
	must(t, p.Add(fd, 7, Readable))
	writeAll(t, pr.fds[1], "x")
	waitReady(t, p, 7, Readable)
	// Level-triggered: still readable, so only Remove makes it quiet.
	if len(pollNow(t, p)) == 0 {
		t.Fatal("want something ready")
	}
	must(t, p.Remove(fd))
	mustLen(t, 0, pollNow(t, p))
	mustIs(t, p.Remove(fd), unix.ENOENT)
}

func TestPollerAddTwiceFails(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	pr := pipeReadEnd(t)
	must(t, p.Add(pr.fds[0], 1, Readable))
	mustIs(t, p.Add(pr.fds[0], 1, Readable), unix.EEXIST)
}

func TestPollerTokensRoundTrip(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	tokens := []uint64{0, 1, math.MaxUint32, 1 << 32, 0xDEADBEEFCAFEBABE, math.MaxUint64}
	want := map[uint64]bool{}
	for _, tok := range tokens {
		pr := pipeWriteEnd(t)
		must(t, p.Add(pr.fds[0], tok, Writable))
		want[tok] = true
	}
	got := map[uint64]bool{}
	for _, r := range pollNow(t, p) {
		mustEqual(t, Writable, r.Events)
		got[r.Token] = true
	}
	mustEqual(t, want, got)
}

func TestPollerWaitFillsAtMostLenReady(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	for i := range 8 {
		pr := pipeWriteEnd(t)
		must(t, p.Add(pr.fds[0], uint64(i), Writable))
	}
	for _, size := range []int{1, 3, 8, 32} {
		ready := make([]Ready, size)
		n, err := p.Wait(ready, 0)
		must(t, err)
		mustEqual(t, min(size, 8), n)
	}
}

func TestPollerWaitZeroTimeoutReturnsAtOnce(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	pr := pipeReadEnd(t)
	must(t, p.Add(pr.fds[0], 1, Readable))
	// Nothing is ready; a blocking wait would hang the test.
	n, err := p.Wait(make([]Ready, 4), 0)
	must(t, err)
	mustZero(t, n)
}

func TestPollerWaitPositiveTimeoutExpires(t *testing.T) {
	checkFds(t)
	p := newPoller(t)
	n, err := p.Wait(make([]Ready, 4), 1)
	must(t, err)
	mustZero(t, n)
}

func TestPollerErrors(t *testing.T) {
	checkFds(t)
	p, err := NewPoller()
	must(t, err)
	_, err = p.Wait(nil, 0)
	mustIs(t, err, ErrNoReadySpace)
	mustIs(t, p.Add(-1, 0, Readable), unix.EBADF)

	must(t, p.Close())
	mustIs(t, p.Close(), ErrClosed)
	mustIs(t, p.Add(0, 0, Readable), ErrClosed)
	mustIs(t, p.Modify(0, 0, Readable), ErrClosed)
	mustIs(t, p.Remove(0), ErrClosed)
	_, err = p.Wait(make([]Ready, 1), 0)
	mustIs(t, err, ErrClosed)
}

func TestEventsString(t *testing.T) {
	tests := []struct {
		ev   Events
		want string
	}{
		{0, "0"},
		{Readable, "Readable"},
		{Readable | HangUp, "Readable|HangUp"},
		{Writable | Error, "Writable|Error"},
	}
	for _, tc := range tests {
		mustEqual(t, tc.want, tc.ev.String())
	}
}
