package shard

import (
	"bufio"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var errBye = errors.New("test: bye")

// Shard.Close flushes what was written before it, then the peer reads EOF
// and Handler.Closed gets the reason, once.
func TestCloseFlushesFirst(t *testing.T) {
	rec := newRecorder()
	set := newFakeSet(t, 1, rec, &hooks{
		receive: func(s *Shard, c *Conn, _ uint64, _ any) {
			for _, p := range []string{"a", "b", "c"} {
				if err := s.WriteFrame(c, []byte(p)); err != nil {
					rec.add(event{kind: "error", err: err})
				}
			}
			s.Close(c, errBye)
			s.Close(c, errors.New("second close")) // a no-op
			if err := s.WriteFrame(c, []byte("late")); !errors.Is(err, ErrClosed) {
				rec.add(event{kind: "error", err: err})
			}
		},
	})
	l := listen(t, set, "tcp", lines(), Limits{})
	start(t, set)
	nc := dial(t, l)
	if _, err := io.WriteString(nc, "close\n"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("read to EOF: %v", err)
	}
	if string(got) != "a\nb\nc\n" {
		t.Fatalf("peer read %q", got)
	}
	closed := rec.waitCount(t, "closed", 1)
	if !errors.Is(closed[0].err, errBye) {
		t.Fatalf("Closed with %v, want %v", closed[0].err, errBye)
	}
	stop(t, set)
	if n := len(rec.of("closed")); n != 1 {
		t.Fatalf("Closed called %d times", n)
	}
	if errs := rec.of("error"); len(errs) > 0 {
		t.Fatalf("unexpected write result: %v", errs[0].err)
	}
}

// A peer that closes its side is closed with a nil reason, once.
func TestClosePeerEOF(t *testing.T) {
	rec := newRecorder()
	set := newFakeSet(t, 1, rec, nil)
	l := listen(t, set, "tcp", lines(), Limits{})
	start(t, set)
	nc := dial(t, l)
	rec.waitCount(t, "open", 1)
	nc.Close()
	closed := rec.waitCount(t, "closed", 1)
	if closed[0].err != nil {
		t.Fatalf("Closed with %v, want nil", closed[0].err)
	}
	stop(t, set)
	if n := len(rec.of("closed")); n != 1 {
		t.Fatalf("Closed called %d times", n)
	}
}

// Set.Stop closes every connection on every shard with ErrShutdown, once
// each, after flushing what they were written; peers read EOF.
func TestStopClosesEveryConnection(t *testing.T) {
	const conns = 8
	rec := newRecorder()
	set := newFakeSet(t, 2, rec, &hooks{
		open: func(s *Shard, c *Conn, _ any) {
			if err := s.WriteFrame(c, []byte("hello")); err != nil {
				rec.add(event{kind: "error", err: err})
			}
		},
	})
	l := listen(t, set, "tcp", lines(), Limits{})
	start(t, set)
	var peers []*bufio.Reader
	for i := 0; i < conns; i++ {
		peers = append(peers, bufio.NewReader(dial(t, l)))
	}
	opens := rec.waitCount(t, "open", conns)
	shards := map[int]bool{}
	for _, e := range opens {
		shards[e.shard] = true
	}
	stop(t, set)
	for i, r := range peers {
		got, err := io.ReadAll(r)
		if err != nil || string(got) != "hello\n" {
			t.Fatalf("peer %d read %q, %v; want hello then EOF", i, got, err)
		}
	}
	closed := rec.of("closed")
	if len(closed) != conns {
		t.Fatalf("%d Closed calls for %d connections", len(closed), conns)
	}
	seen := map[uint64]bool{}
	for _, e := range closed {
		if !errors.Is(e.err, ErrShutdown) {
			t.Fatalf("Closed with %v, want ErrShutdown", e.err)
		}
		if seen[e.addr] {
			t.Fatalf("Closed twice for %#x", e.addr)
		}
		seen[e.addr] = true
	}
	if errs := rec.of("error"); len(errs) > 0 {
		t.Fatal(errs[0].err)
	}
	t.Logf("connections on shards %v", shards)
	if err := set.Stop(t.Context()); !errors.Is(err, ErrStopped) {
		t.Fatalf("second Stop: %v, want ErrStopped", err)
	}
}

// After Stop the set leaves no goroutine and no descriptor behind: not
// its shards', acceptor's, listeners' or connections'.
func TestStopLeaksNothing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	fds, err := openFDs()
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	rec := newRecorder()
	set := newFakeSet(t, 2, rec, &hooks{
		receive: func(s *Shard, c *Conn, _ uint64, msg any) { _ = s.WriteFrame(c, msg.([]byte)) },
	})
	l := listen(t, set, "tcp", lines(), Limits{})
	u := listen(t, set, "udp", lines(), Limits{})
	start(t, set)
	for i := 0; i < 4; i++ {
		nc := dial(t, l)
		if _, err := io.WriteString(nc, "ping\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(nc).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		nc.Close()
	}
	uc := dial(t, u)
	if _, err := io.WriteString(uc, "ping\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Read(make([]byte, 16)); err != nil {
		t.Fatal(err)
	}
	uc.Close()
	stop(t, set)
	goleak.VerifyNone(t, ignore)
	require.Eventually(t, func() bool { n, _ := openFDs(); return n == fds }, waitFor, waitFor/200,
		"descriptors open before: %d", fds)
}

// openFDs counts this process's open descriptors.
func openFDs() (int, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	return len(ents), err
}
