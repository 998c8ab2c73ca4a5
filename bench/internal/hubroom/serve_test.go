package hubroom

import (
	"bufio"
	"fmt"
	"net"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs Serve on a loopback listener until the test ends (Serve must
// then return, every goroutine gone) and returns the address.
func serve(t *testing.T, queue int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(ln, queue) }()
	t.Cleanup(func() {
		_ = ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestEveryLineToEveryMember(t *testing.T) {
	tests := []struct {
		name    string
		members int
		lines   []string // sent by member 0, one write
	}{
		{name: "one member hears itself", members: 1, lines: []string{"hello\n"}},
		{name: "three members", members: 3, lines: []string{"a\n", "bb\n", "ccc\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, 0)
			conns := make([]net.Conn, tt.members)
			readers := make([]*bufio.Reader, tt.members)
			// Member i joins once the earlier ones have: it is registered
			// when it hears its own line, the first it receives.
			for i := range conns {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns[i], readers[i] = c, bufio.NewReader(c)
				want := fmt.Sprintf("join %d\n", i)
				if _, err := c.Write([]byte(want)); err != nil {
					t.Fatal(err)
				}
				if got, err := readers[i].ReadString('\n'); err != nil || got != want {
					t.Fatalf("member %d got %q, %v; want %q", i, got, err, want)
				}
			}
			// Member i has heard the joins of the later members too.
			for i := range readers {
				for j := i + 1; j < tt.members; j++ {
					want := fmt.Sprintf("join %d\n", j)
					if got, err := readers[i].ReadString('\n'); err != nil || got != want {
						t.Fatalf("member %d got %q, %v; want %q", i, got, err, want)
					}
				}
			}
			var all string
			for _, l := range tt.lines {
				all += l
			}
			if _, err := conns[0].Write([]byte(all)); err != nil {
				t.Fatal(err)
			}
			for i, r := range readers {
				for _, want := range tt.lines {
					got, err := r.ReadString('\n')
					if err != nil || got != want {
						t.Fatalf("member %d got %q, %v; want %q", i, got, err, want)
					}
				}
			}
		})
	}
}
