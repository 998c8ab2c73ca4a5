package shard

import (
	"errors"
	"net"
	"testing"
	"time"
)

// On a UDP listener each remote address becomes a connection (one Open,
// however many datagrams it sends), its datagrams are its messages (a
// partial frame at a datagram's end is dropped), and writes go back to it
// as datagrams. Stop closes each with ErrShutdown.
func TestPacketPeersAreConnections(t *testing.T) {
	rec := newRecorder()
	set := newFakeSet(t, 1, rec, &hooks{
		receive: func(s *Shard, c *Conn, _ uint64, msg any) {
			if err := s.WriteFrame(c, append([]byte("echo "), msg.([]byte)...)); err != nil {
				rec.add(event{kind: "error", err: err})
			}
		},
	})
	l := listen(t, set, "udp", lines(), Limits{})
	start(t, set)
	a, b := dial(t, l), dial(t, l)
	buf := make([]byte, 256)
	roundTrip := func(nc net.Conn, send, want string) {
		t.Helper()
		if _, err := nc.Write([]byte(send)); err != nil {
			t.Fatal(err)
		}
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if string(buf[:n]) != want {
			t.Fatalf("datagram %q, want %q", buf[:n], want)
		}
	}
	roundTrip(a, "a1\n", "echo a1\n")
	roundTrip(b, "b1\n", "echo b1\n")
	roundTrip(a, "a2\npartial", "echo a2\n") // one datagram per write
	roundTrip(b, "b2\n", "echo b2\n")

	opens := rec.of("open")
	if len(opens) != 2 || opens[0].addr == opens[1].addr {
		t.Fatalf("opens %+v, want one per peer", opens)
	}
	byPeer := map[uint64][]string{}
	for _, e := range rec.of("receive") {
		byPeer[e.addr] = append(byPeer[e.addr], string(e.msg.([]byte)))
	}
	if got := byPeer[opens[0].addr]; len(got) != 2 || got[0] != "a1" || got[1] != "a2" {
		t.Fatalf("first peer's messages %q, want [a1 a2]", got)
	}
	if got := byPeer[opens[1].addr]; len(got) != 2 || got[0] != "b1" || got[1] != "b2" {
		t.Fatalf("second peer's messages %q, want [b1 b2]", got)
	}
	if n := set.Shards()[0].conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	stop(t, set)
	closed := rec.of("closed")
	if len(closed) != 2 {
		t.Fatalf("Closed %d times, want 2", len(closed))
	}
	for _, e := range closed {
		if !errors.Is(e.err, ErrShutdown) {
			t.Fatalf("Closed with %v, want ErrShutdown", e.err)
		}
	}
	if errs := rec.of("error"); len(errs) > 0 {
		t.Fatal(errs[0].err)
	}
}

// A UDP peer silent past the listener's idle timeout is closed with
// ErrIdle; its next datagram makes a new connection.
func TestPacketPeerIdles(t *testing.T) {
	rec := newRecorder()
	set := newFakeSet(t, 1, rec, &hooks{
		receive: func(s *Shard, c *Conn, _ uint64, msg any) { _ = s.WriteFrame(c, msg.([]byte)) },
	})
	l := listen(t, set, "udp", lines(), Limits{IdleTimeout: 50 * time.Millisecond})
	start(t, set)
	nc := dial(t, l)
	buf := make([]byte, 64)
	for i := 0; i < 2; i++ {
		if _, err := nc.Write([]byte("x\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Read(buf); err != nil {
			t.Fatal(err)
		}
		closed := rec.waitCount(t, "closed", i+1)
		if !errors.Is(closed[i].err, ErrIdle) {
			t.Fatalf("Closed with %v, want ErrIdle", closed[i].err)
		}
	}
	opens := rec.of("open")
	if len(opens) != 2 || opens[0].addr == opens[1].addr {
		t.Fatalf("opens %+v, want a new connection after the idle close", opens)
	}
}
