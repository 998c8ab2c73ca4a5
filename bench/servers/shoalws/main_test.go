package main

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves the echo on one shard on a loopback port until the test ends
// and returns its address.
func start(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, "127.0.0.1:0", 1, func(a net.Addr) { addrs <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addrs:
		return a.String()
	case err := <-done:
		t.Fatalf("serve: %v", err)
		return ""
	}
}

func TestEchoKeepsOpcodeAndBytes(t *testing.T) {
	addr := start(t)
	c, _, _, err := ws.Dial(context.Background(), "ws://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tests := []struct {
		name string
		op   ws.OpCode
		size int
	}{
		{name: "64 B binary", op: ws.OpBinary, size: 64},
		{name: "125 B text", op: ws.OpText, size: 125},
		{name: "126 B binary (16-bit length)", op: ws.OpBinary, size: 126},
		{name: "4 KiB binary", op: ws.OpBinary, size: 4096},
		{name: "70 KiB text (64-bit length)", op: ws.OpText, size: 70 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := bytes.Repeat([]byte("abcdefg"), tt.size/7+1)[:tt.size]
			for range 100 {
				if err := wsutil.WriteClientMessage(c, tt.op, msg); err != nil {
					t.Fatal(err)
				}
				got, op, err := wsutil.ReadServerData(c)
				if err != nil {
					t.Fatal(err)
				}
				if op != tt.op || !bytes.Equal(got, msg) {
					t.Fatalf("echo op %v, %d bytes; want op %v, %d bytes", op, len(got), tt.op, len(msg))
				}
			}
		})
	}
}
