//go:build linux

package reactor

import (
	"errors"
	"net"
	"os"
	"reflect"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// TestMain starts the Go runtime's own netpoller (epoll fd and eventfd, kept
// for the life of the process) before any test counts fds, since the examples
// use package net; then it checks for leaked goroutines.
func TestMain(m *testing.M) {
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
	}
	goleak.VerifyTestMain(m)
}

// waitFor bounds every wait for a condition. Generous: the machine is small and
// noisy, and no test asserts a duration.
const waitFor = 20 * time.Second

// checkFds fails the test if it ends with a different number of open fds than
// it started with. Call it first, so its cleanup runs after all others.
func checkFds(t *testing.T) {
	t.Helper()
	before := fdCount(t)
	t.Cleanup(func() {
		if after := fdCount(t); after != before {
			t.Errorf("fd leak: %d open before, %d after", before, after)
		}
	})
}

// fdCount counts the process's open fds.
func fdCount(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	must(t, err)
	return len(ents)
}

// pair is two connected fds: fds[0] is the end under test, fds[1] its peer.
// Either may be closed early with close; cleanup closes the rest.
type pair struct {
	t   *testing.T
	fds [2]int
}

func newPair(t *testing.T, a, b int) *pair {
	p := &pair{t: t, fds: [2]int{a, b}}
	t.Cleanup(func() { p.close(0); p.close(1) })
	return p
}

func (p *pair) close(i int) {
	if p.fds[i] >= 0 {
		must(p.t, Close(p.fds[i]))
		p.fds[i] = -1
	}
}

// tcpLoopback returns a connected TCP pair over 127.0.0.1: fds[0] accepted,
// fds[1] the client. Both nonblocking.
func tcpLoopback(t *testing.T) *pair {
	return dialPair(t, "tcp", "127.0.0.1:0")
}

// dialPair listens on network/address, connects a client and accepts it.
func dialPair(t *testing.T, network, address string) *pair {
	t.Helper()
	lfd, addr, err := Listen(network, address, ListenOptions{})
	must(t, err)
	defer func() { must(t, Close(lfd)) }()
	cli := dial(t, addr)
	srv := acceptOne(t, lfd)
	return newPair(t, srv, cli)
}

// dial connects a blocking socket to addr and then makes it nonblocking.
func dial(t *testing.T, addr net.Addr) int {
	t.Helper()
	var family int
	var sa unix.Sockaddr
	switch a := addr.(type) {
	case *net.TCPAddr:
		if ip4 := a.IP.To4(); ip4 != nil && !a.IP.IsUnspecified() {
			s := &unix.SockaddrInet4{Port: a.Port}
			copy(s.Addr[:], ip4)
			family, sa = unix.AF_INET, s
		} else if a.IP.IsUnspecified() {
			s := &unix.SockaddrInet4{Port: a.Port, Addr: [4]byte{127, 0, 0, 1}}
			family, sa = unix.AF_INET, s
		} else {
			s := &unix.SockaddrInet6{Port: a.Port}
			copy(s.Addr[:], a.IP.To16())
			family, sa = unix.AF_INET6, s
		}
	case *net.UnixAddr:
		family, sa = unix.AF_UNIX, &unix.SockaddrUnix{Name: a.Name}
	default:
		t.Fatalf("dial: unexpected address %T", addr)
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	if err := unix.Connect(fd, sa); err != nil {
		unix.Close(fd)
		t.Fatalf("connect %v: %v", addr, err)
	}
	must(t, unix.SetNonblock(fd, true))
	return fd
}

// acceptOne waits (poll(2), generous timeout) for a pending connection and
// accepts it.
func acceptOne(t *testing.T, lfd int) int {
	t.Helper()
	fd, _ := acceptAddr(t, lfd)
	return fd
}

// acceptAddr is acceptOne that also returns the peer address.
func acceptAddr(t *testing.T, lfd int) (int, unix.Sockaddr) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		fd, sa, err := Accept(lfd)
		if err == nil {
			return fd, sa
		}
		mustIs(t, err, unix.EAGAIN)
		pfd := []unix.PollFd{{Fd: int32(lfd), Events: unix.POLLIN}}
		_, err = unix.Poll(pfd, int(waitFor/time.Millisecond))
		if err != nil && err != unix.EINTR {
			t.Fatalf("poll: %v", err)
		}
	}
	t.Fatal("no connection to accept")
	return -1, nil
}

// pipeReadEnd returns a pipe with the read end under test.
func pipeReadEnd(t *testing.T) *pair {
	var p [2]int
	must(t, unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC))
	return newPair(t, p[0], p[1])
}

// pipeWriteEnd returns a pipe with the write end under test.
func pipeWriteEnd(t *testing.T) *pair {
	var p [2]int
	must(t, unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC))
	return newPair(t, p[1], p[0])
}

// socketPair returns a nonblocking unix stream socketpair.
func socketPair(tb testing.TB) [2]int {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	must(tb, err)
	tb.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds
}

// newPoller returns a poller closed at cleanup.
func newPoller(t *testing.T) *Poller {
	p, err := NewPoller()
	must(t, err)
	t.Cleanup(func() { must(t, p.Close()) })
	return p
}

// newWaker returns a waker closed at cleanup.
func newWaker(t *testing.T) *Waker {
	w, err := NewWaker()
	must(t, err)
	t.Cleanup(func() { must(t, w.Close()) })
	return w
}

// waitReady waits until p reports token with every bit of want, and returns
// the events reported for it then.
func waitReady(t *testing.T, p *Poller, token uint64, want Events) Events {
	t.Helper()
	ready := make([]Ready, 16)
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		n, err := p.Wait(ready, int(waitFor/time.Millisecond))
		must(t, err)
		for _, r := range ready[:n] {
			if r.Token == token && r.Events&want == want {
				return r.Events
			}
		}
	}
	t.Fatalf("token %#x never reported %v", token, want)
	return 0
}

// pollNow runs one zero-timeout Wait and returns what it reported.
func pollNow(t *testing.T, p *Poller) []Ready {
	t.Helper()
	ready := make([]Ready, 16)
	n, err := p.Wait(ready, 0)
	must(t, err)
	return ready[:n]
}

// writeAll writes s to fd, which must take it in one call.
func writeAll(t *testing.T, fd int, s string) {
	t.Helper()
	n, err := Write(fd, []byte(s))
	must(t, err)
	mustEqual(t, len(s), n)
}

// must fails the test now if err is not nil.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("unexpected error: %v", err)
	}
}

// mustIs fails the test now unless errors.Is(err, target).
func mustIs(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("error %v, want %v", err, target)
	}
}

// mustEqual fails the test now unless want and got are deeply equal.
func mustEqual(tb testing.TB, want, got any) {
	tb.Helper()
	if !reflect.DeepEqual(want, got) {
		tb.Fatalf("got %#v, want %#v", got, want)
	}
}

// mustLen fails the test now unless ready has n entries.
func mustLen(tb testing.TB, n int, ready []Ready) {
	tb.Helper()
	if len(ready) != n {
		tb.Fatalf("got %d ready %v, want %d", len(ready), ready, n)
	}
}

// mustZero fails the test now unless ev is empty.
func mustZero[T comparable](tb testing.TB, v T, msg ...any) {
	tb.Helper()
	var zero T
	if v != zero {
		tb.Fatalf("got %v, want zero %v", v, msg)
	}
}
