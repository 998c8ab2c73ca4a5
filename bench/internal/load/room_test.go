package load

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/shoalrt/shoal/bench/internal/hubroom"
)

// startHub serves the classic hub chat room on a loopback port until the
// test ends and returns its address. Its queues are deep enough that no
// member is dropped, even when the race detector slows some goroutines:
// these tests check the load generator, not the hub's drop policy.
func startHub(t testing.TB) string {
	t.Helper()
	return startServer(t, func(ln net.Listener) error { return hubroom.Serve(ln, 1<<14) })
}

func TestRunRoom(t *testing.T) {
	addr := startHub(t)
	tests := []struct {
		name    string
		conns   int
		senders int
		ahead   int
		verify  int
		sources []netip.Addr
	}{
		{name: "every member checked", conns: 12, senders: 3, ahead: 8, verify: 12},
		{name: "sampled", conns: 40, senders: 4, ahead: 4, verify: 5},
		{name: "one sender, one line ahead", conns: 5, senders: 1, ahead: 1, verify: 5},
		{name: "everyone sends", conns: 6, senders: 6, ahead: 2},
		{name: "spread over sources", conns: 10, senders: 2, ahead: 8, verify: 10,
			sources: []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := RunRoom(context.Background(), Config{
				Addr: addr, Conns: tt.conns, Size: 32, Senders: tt.senders, Ahead: tt.ahead, Verify: tt.verify,
				Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond,
				Sources: tt.sources, ServerPID: os.Getpid(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Messages == 0 || res.LinesSent == 0 || !res.ServerCPUMeasured {
				t.Fatalf("nothing measured: %+v", res)
			}
			// Every line reached every member, intact and in order.
			if res.BadEchoes != 0 || res.Gaps != 0 || res.Missing != 0 || res.ConnErrors != 0 {
				t.Fatalf("lost or damaged lines: %+v", res)
			}
			if res.Senders != tt.senders || res.Depth != tt.ahead || res.Verified < tt.senders {
				t.Fatalf("result does not describe the run: %+v", res)
			}
			if res.P50Micros <= 0 || res.P99Micros < res.P50Micros {
				t.Fatalf("latency p50 %v p99 %v", res.P50Micros, res.P99Micros)
			}
		})
	}
}

// dropRoom is a room that forwards every line to every member except the
// last one to join, which gets nothing after the probes: lines go missing.
func dropRoom(ln net.Listener) error {
	type conn struct {
		c    net.Conn
		mute bool
	}
	lines := make(chan []byte, 1024)
	var members []conn
	join := make(chan conn)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case m := <-join:
				members = append(members, m)
			case l := <-lines:
				for _, m := range members {
					if !m.mute || l[0] == lineProbe {
						_, _ = m.c.Write(l)
					}
				}
			case <-done:
				for _, m := range members {
					_ = m.c.Close()
				}
				return
			}
		}
	}()
	for i := 0; ; i++ {
		c, err := ln.Accept()
		if err != nil {
			return nil
		}
		join <- conn{c: c, mute: i == 2}
		go func() {
			buf := make([]byte, 32)
			for {
				if _, err := readFull(c, buf); err != nil {
					return
				}
				select {
				case lines <- append([]byte(nil), buf...):
				case <-done:
					return
				}
			}
		}()
	}
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestRunRoomCountsMissingLines(t *testing.T) {
	addr := startServer(t, dropRoom)
	res, err := RunRoom(context.Background(), Config{
		Addr: addr, Conns: 3, Size: 32, Senders: 1, Verify: 3,
		Warmup: 10 * time.Millisecond, Duration: 50 * time.Millisecond, Grace: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Missing != res.LinesSent || res.LinesSent == 0 {
		t.Fatalf("missing %d of %d lines, want all: %+v", res.Missing, res.LinesSent, res)
	}
}

func TestRunRoomNotJoined(t *testing.T) {
	// The standard echo server is no room: connection 1 never sees a probe.
	addr := startEcho(t)
	_, err := RunRoom(context.Background(), Config{
		Addr: addr, Conns: 2, Size: 32, Senders: 1, DialTimeout: 100 * time.Millisecond,
	})
	if !errors.Is(err, ErrNotJoined) {
		t.Fatalf("err = %v, want ErrNotJoined", err)
	}
}

func TestRunRoomConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "no senders", cfg: Config{Addr: "127.0.0.1:1", Conns: 2, Size: 32}},
		{name: "more senders than conns", cfg: Config{Addr: "127.0.0.1:1", Conns: 2, Size: 32, Senders: 3}},
		{name: "line too short", cfg: Config{Addr: "127.0.0.1:1", Conns: 2, Size: 16, Senders: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := RunRoom(context.Background(), tt.cfg); !errors.Is(err, ErrBadConfig) {
				t.Fatalf("err = %v, want ErrBadConfig", err)
			}
		})
	}
}

func TestRoomLine(t *testing.T) {
	tests := []struct {
		name string
		size int
		kind byte
		sid  int
		seq  uint64
	}{
		{name: "first", size: 32, kind: lineReal, sid: 0, seq: 0},
		{name: "large numbers", size: 32, kind: lineReal, sid: 9, seq: 1<<63 + 12345},
		{name: "probe", size: 32, kind: lineProbe, sid: 0, seq: 7},
		{name: "shortest", size: minLineSize, kind: lineReal, sid: 3, seq: 99},
		{name: "long", size: 200, kind: lineReal, sid: 4, seq: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := make([]byte, tt.size)
			putLine(line, tt.kind, tt.sid, tt.seq)
			for i, b := range line[:tt.size-1] {
				if b == '\n' {
					t.Fatalf("newline at %d in %q", i, line)
				}
			}
			kind, sid, seq, ok := parseLine(line, 10)
			if !ok || kind != tt.kind || sid != tt.sid || seq != tt.seq {
				t.Fatalf("parseLine(%q) = %c %d %d %v", line, kind, sid, seq, ok)
			}
			for i := range line { // any one changed byte is caught
				c := append([]byte(nil), line...)
				c[i] ^= 0x01
				if _, _, _, ok := parseLine(c, 10); ok {
					t.Fatalf("corruption at %d not caught: %q", i, c)
				}
			}
			if _, _, _, ok := parseLine(line, tt.sid); ok {
				t.Fatal("unknown sender accepted")
			}
		})
	}
}

func TestRoomMemberAllocatesNothingPerLine(t *testing.T) {
	cfg := Config{Conns: 2, Size: 32, Senders: 1}.withDefaults()
	m := newMember(0, nil, cfg)
	r := &room{cfg: cfg, allJoined: make(chan struct{})}
	st := new(stats)
	st.measuring.Store(true)
	var seq uint64
	allocs := testing.AllocsPerRun(100, func() {
		for k := range 8 {
			putLine(m.rbuf[k*32:(k+1)*32], lineReal, 0, seq)
			m.stamps[seq%uint64(len(m.stamps))] = nanotime()
			seq++
		}
		m.check(r, st, 8)
		m.count(r, st, 8)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per 8 lines", allocs)
	}
	if st.bad.Load() != 0 || r.gaps.Load() != 0 {
		t.Fatalf("bad %d gaps %d", st.bad.Load(), r.gaps.Load())
	}
}
