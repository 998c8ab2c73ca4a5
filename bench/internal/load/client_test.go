package load

import (
	"net"
	"testing"
)

// dialOne opens one connection to addr for the client tests.
func dialOne(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll([]*net.TCPConn{c.(*net.TCPConn)}) })
	return c.(*net.TCPConn)
}

func TestClientAllocatesNothingPerMessage(t *testing.T) {
	addr := startEcho(t)
	tests := []struct {
		name  string
		size  int
		depth int
	}{
		{name: "ping-pong 64 B", size: 64, depth: 1},
		{name: "ping-pong 4 KiB", size: 4096, depth: 1},
		{name: "pipelined 64 B x 32", size: 64, depth: 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(0, dialOne(t, addr), tt.size, tt.depth)
			st := new(stats)
			st.measuring.Store(true)
			var allocs float64
			if tt.depth == 1 {
				allocs = testing.AllocsPerRun(200, func() {
					if _, ok, err := c.roundTrip(); err != nil || !ok {
						t.Fatalf("roundTrip: ok %v err %v", ok, err)
					}
				})
			} else {
				if err := c.send(tt.depth); err != nil {
					t.Fatal(err)
				}
				allocs = testing.AllocsPerRun(200, func() {
					n, err := c.receive(st)
					if err != nil {
						t.Fatal(err)
					}
					if n > 0 {
						if err := c.send(n); err != nil {
							t.Fatal(err)
						}
					}
				})
			}
			if allocs != 0 {
				t.Fatalf("%v allocations per message, want 0", allocs)
			}
			if st.bad.Load() != 0 {
				t.Fatalf("%d bad echoes", st.bad.Load())
			}
		})
	}
}

// Benchmarks: one op = one message echoed by the in-process std echo server.
// PP = ping-pong, PL32 = pipelined with 32 in flight; B64 = 64-byte message.
// The baseline is the same exchange with no sequence stamp, timing or check.
func BenchmarkClient(b *testing.B) {
	addr := startEcho(b)
	b.Run("baseline/PP/B64", func(b *testing.B) {
		c := dialOne(b, addr)
		w, r := make([]byte, 64), make([]byte, 64)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Write(w); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Read(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client/PP/B64", func(b *testing.B) {
		c := newClient(0, dialOne(b, addr), 64, 1)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := c.roundTrip(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client/PL32/B64", func(b *testing.B) {
		c := newClient(0, dialOne(b, addr), 64, 32)
		st := new(stats)
		st.measuring.Store(true)
		if err := c.send(32); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for st.msgs.Load() < uint64(b.N) {
			n, err := c.receive(st)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.send(n); err != nil {
				b.Fatal(err)
			}
		}
	})
}
