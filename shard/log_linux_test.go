package shard

import (
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// An accept that fails because the process is out of descriptors makes the
// listener back off, and the set logs it: a Warn record with the listener's
// address, the error, the back-off and, for a socket a shard serves itself
// (ReusePort), the shard. The connections waiting in the backlog are
// accepted once descriptors are free again.
//
// The process runs out of descriptors for real: the test lowers its own
// RLIMIT_NOFILE and fills what is left, so no other test may run beside it
// (none in this package is parallel).
func TestLogsAcceptBackOff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reusePort bool
		shards    int
		shard     func(string) bool // accepts the record's "shard"
	}{
		{name: "acceptor", shards: 2, shard: func(s string) bool { return s == "" }},
		{name: "reuseport", reusePort: true, shards: 2, shard: func(s string) bool { return s == "0" || s == "1" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const clients = 3
			logs, rec := newLogRecorder(), newRecorder()
			set := newFakeSetWith(t, Config{Shards: tc.shards, ReusePort: tc.reusePort, Logger: slog.New(logs)}, rec, nil)
			l := listen(t, set, "tcp", lines(), Limits{})
			// Not yet accepting: the kernel completes the handshakes into the
			// listen backlog.
			for i := 0; i < clients; i++ {
				c, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
			}

			release := exhaustDescriptors(t)
			defer release()
			start(t, set)
			backoff := logs.waitCount(t, "accept failed, backing off", 1)[0]
			release()

			if backoff.level != slog.LevelWarn || backoff.attrs["addr"] != l.Addr().String() ||
				!strings.Contains(backoff.attrs["err"], "too many open files") ||
				backoff.attrs["backoff"] != minBackoff.String() || !tc.shard(backoff.attrs["shard"]) {
				t.Errorf("record %+v, want Warn with addr %s, EMFILE, backoff %v and the shard", backoff, l.Addr(), minBackoff)
			}
			if n := l.AcceptErrors(); n == 0 {
				t.Error("AcceptErrors is 0 after an accept failed")
			}
			rec.waitCount(t, "open", clients) // back in the poller: the backlog is accepted
		})
	}
}

// exhaustDescriptors lowers the process's RLIMIT_NOFILE to a few more than
// it has open and opens descriptors until no more can be opened. The
// returned function closes them and restores the limit; it may be called
// more than once.
func exhaustDescriptors(t testing.TB) (release func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	open, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	lowered := old
	lowered.Cur = uint64(len(open) + 16)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatal(err)
	}
	var filler []int
	var once sync.Once
	release = func() {
		once.Do(func() {
			for _, fd := range filler {
				syscall.Close(fd)
			}
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
				t.Error(err)
			}
		})
	}
	for deadline := time.Now().Add(waitFor); ; {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EMFILE {
			return release
		}
		if err != nil || time.Now().After(deadline) {
			release()
			t.Fatalf("filling the descriptor table: %v", err)
		}
		filler = append(filler, fd)
	}
}
