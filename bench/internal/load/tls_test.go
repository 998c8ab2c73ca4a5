package load

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/shoalrt/shoal/bench/internal/stdecho"
	"github.com/shoalrt/shoal/bench/internal/tlscert"
)

// startTLSEcho serves the standard library echo over crypto/tls (what
// servers/stdtls runs) on a loopback port until the test ends, and returns
// its address and a client configuration that verifies its certificate.
func startTLSEcho(t testing.TB) (string, *tls.Config) {
	t.Helper()
	srv, cli, err := tlscert.Pair()
	if err != nil {
		t.Fatal(err)
	}
	addr := startServer(t, func(ln net.Listener) error { return stdecho.Serve(tls.NewListener(ln, srv), 16<<10) })
	return addr, cli
}

func TestRunTLS(t *testing.T) {
	addr, cli := startTLSEcho(t)
	for _, tt := range []struct {
		name        string
		size, depth int
	}{
		{name: "ping-pong", size: 64, depth: 1},
		{name: "4 KiB", size: 4096, depth: 1},
		{name: "pipelined", size: 64, depth: 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), Config{
				Addr: addr, Conns: 4, Size: tt.size, Depth: tt.depth, Proto: ProtoTLS, TLS: cli,
				Warmup: 20 * time.Millisecond, Duration: 150 * time.Millisecond, ServerPID: os.Getpid(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Proto != ProtoTLS || res.Messages == 0 || res.BadEchoes != 0 || res.ConnErrors != 0 {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

func TestRunIdleTLS(t *testing.T) {
	addr, cli := startTLSEcho(t)
	res, err := RunIdle(context.Background(), Config{
		Addr: addr, Conns: 30, Size: 64, Proto: ProtoTLS, TLS: cli, ServerPID: os.Getpid(),
		Settle: time.Millisecond, Sources: []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.BadEchoes != 0 || res.Messages != 30 || res.RSSAfter == 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestRunHandshakes(t *testing.T) {
	addr, cli := startTLSEcho(t)
	for _, resume := range []bool{false, true} {
		res, err := RunHandshakes(context.Background(), Config{
			Addr: addr, Conns: 4, Size: 64, TLS: cli, Resume: resume,
			Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond, ServerPID: os.Getpid(),
			Sources: []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Messages == 0 || res.BadEchoes != 0 || res.ConnErrors != 0 || res.Resume != resume || !res.ServerCPUMeasured {
			t.Fatalf("resume %v: result %+v", resume, res)
		}
		switch {
		case !resume && res.Resumed != 0:
			t.Fatalf("%d of %d handshakes resumed without a session cache", res.Resumed, res.Messages)
		case resume && res.Resumed < res.Messages*9/10: // after the warm-up, every worker holds a ticket
			t.Fatalf("%d of %d handshakes resumed with a session cache", res.Resumed, res.Messages)
		}
	}
}

// A server whose certificate the client does not trust fails the dial with
// the handshake's error.
func TestTLSUntrusted(t *testing.T) {
	addr, _ := startTLSEcho(t)
	_, other, err := tlscert.Pair()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Config{Addr: addr, Conns: 2, Size: 64, Proto: ProtoTLS, TLS: other, Duration: time.Millisecond})
	if !errors.Is(err, ErrDial) || !errors.Is(err, ErrTLSHandshake) {
		t.Fatalf("err = %v, want ErrDial and ErrTLSHandshake", err)
	}
	res, err := RunHandshakes(context.Background(), Config{Addr: addr, Conns: 1, Size: 64, TLS: other, Duration: 50 * time.Millisecond})
	if err != nil || res.ConnErrors == 0 || res.Messages != 0 {
		t.Fatalf("RunHandshakes = %+v, %v; want connection errors and no handshake", res, err)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := RunHandshakes(ctx, Config{Addr: "127.0.0.1:1", Conns: 1, Size: 64, Proto: ProtoTCP}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("RunHandshakes over tcp: err = %v, want ErrBadConfig", err)
	}
	if _, err := RunRoom(ctx, Config{Addr: "127.0.0.1:1", Conns: 2, Senders: 1, Size: 32, Proto: ProtoTLS}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("RunRoom over tls: err = %v, want ErrBadConfig", err)
	}
}
