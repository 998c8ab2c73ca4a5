package load

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	addr := startEcho(t)
	tests := []struct {
		name    string
		conns   int
		size    int
		depth   int
		sources []netip.Addr
	}{
		{name: "ping-pong 64 B", conns: 4, size: 64, depth: 1},
		{name: "ping-pong 4 KiB", conns: 2, size: 4096, depth: 1},
		{name: "pipelined 64 B x 8", conns: 4, size: 64, depth: 8},
		{name: "spread over sources", conns: 6, size: 64, depth: 1,
			sources: []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), Config{
				Addr: addr, Conns: tt.conns, Size: tt.size, Depth: tt.depth,
				Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond,
				Sources: tt.sources, ServerPID: os.Getpid(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Messages == 0 || res.MsgsPerSec <= 0 {
				t.Fatalf("no messages measured: %+v", res)
			}
			if res.BadEchoes != 0 || res.ConnErrors != 0 {
				t.Fatalf("errors: %+v", res)
			}
			if res.P50Micros <= 0 || res.P99Micros < res.P50Micros {
				t.Fatalf("latency p50 %v p99 %v", res.P50Micros, res.P99Micros)
			}
			if !res.ServerCPUMeasured || res.Conns != tt.conns || res.Depth != tt.depth {
				t.Fatalf("result does not describe the run: %+v", res)
			}
		})
	}
}

// corruptEcho echoes every read with its last byte flipped.
func corruptEcho(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				buf[n-1] ^= 0xff
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

func TestRunCountsBadEchoes(t *testing.T) {
	addr := startServer(t, corruptEcho)
	for _, depth := range []int{1, 4} {
		res, err := Run(context.Background(), Config{
			Addr: addr, Conns: 2, Size: 64, Depth: depth,
			Warmup: 10 * time.Millisecond, Duration: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.BadEchoes == 0 {
			t.Fatalf("depth %d: corrupted echoes not counted: %+v", depth, res)
		}
	}
}

func TestRunCancel(t *testing.T) {
	addr := startEcho(t)
	// The run would last two hours; the context ends it, during the dial or
	// the warm-up, and every connection goroutine must be gone (goleak).
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, Config{Addr: addr, Conns: 2, Size: 64, Warmup: time.Hour, Duration: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestRunIdle(t *testing.T) {
	addr := startEcho(t)
	res, err := RunIdle(context.Background(), Config{
		Addr: addr, Conns: 50, Size: 64, ServerPID: os.Getpid(),
		Sources: []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")},
		Settle:  time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.BadEchoes != 0 || res.RSSBefore == 0 || res.RSSAfter == 0 || res.Conns != 50 {
		t.Fatalf("unexpected result %+v", res)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{name: "no conns", cfg: Config{Addr: "127.0.0.1:1", Size: 64}, want: ErrBadConfig},
		{name: "short message", cfg: Config{Addr: "127.0.0.1:1", Conns: 1, Size: 4}, want: ErrBadConfig},
		{name: "bad address", cfg: Config{Addr: "nowhere", Conns: 1, Size: 64}, want: ErrBadConfig},
		{name: "private server", cfg: Config{Addr: "10.0.0.1:9000", Conns: 1, Size: 64}, want: ErrNotLoopback},
		{name: "public source", cfg: Config{Addr: "127.0.0.1:1", Conns: 1, Size: 64,
			Sources: []netip.Addr{netip.MustParseAddr("8.8.8.8")}}, want: ErrNotLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(context.Background(), tt.cfg); !errors.Is(err, tt.want) {
				t.Fatalf("Run err = %v, want %v", err, tt.want)
			}
			if _, err := RunIdle(context.Background(), tt.cfg); !errors.Is(err, tt.want) {
				t.Fatalf("RunIdle err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDialFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	_, err = Run(context.Background(), Config{Addr: addr, Conns: 3, Size: 64})
	if !errors.Is(err, ErrDial) {
		t.Fatalf("err = %v, want ErrDial", err)
	}
}
