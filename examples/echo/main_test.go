package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// TestEchoServes smoke-runs the example with every load-balancing policy and
// with SO_REUSEPORT: bytes come back exactly, and serve returns after its
// context ends.
func TestEchoServes(t *testing.T) {
	tests := []struct {
		name  string
		lb    string
		reuse bool
	}{
		{name: "round-robin", lb: "round-robin"},
		{name: "least-conn", lb: "least-conn"},
		{name: "source-hash", lb: "source-hash"},
		{name: "reuseport", lb: "round-robin", reuse: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			addrs := make(chan net.Addr, 1)
			done := make(chan error, 1)
			go func() {
				done <- serve(ctx, "127.0.0.1:0", 2, tt.reuse, tt.lb, func(a net.Addr) { addrs <- a })
			}()
			var addr net.Addr
			select {
			case addr = <-addrs:
			case err := <-done:
				t.Fatal(err)
			}
			for i := 0; i < 4; i++ {
				c, err := net.Dial("tcp", addr.String())
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				msg := bytes.Repeat([]byte{byte(i), 0, 255, '\n'}, 1000)
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, msg) {
					t.Fatal("echo differs")
				}
				c.Close()
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEchoRejectsUnknownPolicy(t *testing.T) {
	err := serve(context.Background(), "127.0.0.1:0", 1, false, "random", func(net.Addr) {})
	if err == nil {
		t.Fatal("unknown policy accepted")
	}
}
