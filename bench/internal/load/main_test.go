package load

import (
	"net"
	"testing"

	"go.uber.org/goleak"

	"github.com/shoalrt/shoal/bench/internal/stdecho"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startEcho serves the standard library echo on a loopback port until the
// test ends and returns its address.
func startEcho(t testing.TB) string {
	t.Helper()
	return startServer(t, func(ln net.Listener) error { return stdecho.Serve(ln, 0) })
}

// startServer runs serve on a fresh loopback listener until the test ends.
func startServer(t testing.TB, serve func(net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ln) }()
	t.Cleanup(func() {
		_ = ln.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}
