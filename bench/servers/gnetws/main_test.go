package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines, except the two of the worker pool
// gnet starts once per process when its package is initialised.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"))
}

// start runs the server on one event loop on a free loopback port until the
// test ends and returns its address.
func start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	booted := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- gnet.Run(&server{booted: booted}, "tcp://"+addr, gnet.WithLogLevel(logging.ErrorLevel))
	}()
	select {
	case <-booted:
	case err := <-done:
		t.Fatalf("gnet.Run: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gnet.Stop(ctx, "tcp://"+addr); err != nil {
			t.Errorf("gnet.Stop: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("gnet.Run: %v", err)
		}
	})
	return addr
}

// dial upgrades a new connection to the server at addr.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, _, _, err := ws.Dial(context.Background(), "ws://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestEchoKeepsOpcodeAndBytes(t *testing.T) {
	addr := start(t)
	c := dial(t, addr)
	tests := []struct {
		name string
		op   ws.OpCode
		size int
	}{
		{name: "empty binary", op: ws.OpBinary, size: 0},
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

func TestPingAndFragments(t *testing.T) {
	c := dial(t, start(t))
	// A fragmented text message with a ping between its fragments, all in
	// one write: the replies come back in the same order.
	var out bytes.Buffer
	frames := []ws.Frame{
		ws.NewFrame(ws.OpText, false, []byte("hel")),
		ws.NewPingFrame([]byte("are you there")),
		ws.NewFrame(ws.OpContinuation, true, []byte("lo")),
	}
	for _, f := range frames {
		if err := ws.WriteFrame(&out, ws.MaskFrame(f)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Write(out.Bytes()); err != nil {
		t.Fatal(err)
	}
	for _, want := range frames {
		f, err := ws.ReadFrame(c)
		if err != nil {
			t.Fatal(err)
		}
		wantOp := want.Header.OpCode
		if wantOp == ws.OpPing {
			wantOp = ws.OpPong
		}
		if f.Header.Masked || f.Header.OpCode != wantOp || f.Header.Fin != want.Header.Fin || !bytes.Equal(f.Payload, want.Payload) {
			t.Fatalf("got %+v %q, want op %v fin %v %q", f.Header, f.Payload, wantOp, want.Header.Fin, want.Payload)
		}
	}
}

func TestCloseAndProtocolErrors(t *testing.T) {
	addr := start(t)
	tests := []struct {
		name      string
		frame     ws.Frame
		mask      bool
		wantClose bool // a close frame comes back before the end
	}{
		{name: "close", frame: ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye")), mask: true, wantClose: true},
		{name: "unmasked frame", frame: ws.NewBinaryFrame([]byte("x")), mask: false},
		{name: "reserved opcode", frame: ws.NewFrame(ws.OpCode(0x3), true, []byte("x")), mask: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr)
			f := tt.frame
			if tt.mask {
				f = ws.MaskFrame(f)
			}
			if err := ws.WriteFrame(c, f); err != nil {
				t.Fatal(err)
			}
			got, err := ws.ReadFrame(c)
			if tt.wantClose {
				if err != nil || got.Header.OpCode != ws.OpClose {
					t.Fatalf("got %+v, %v; want a close frame", got.Header, err)
				}
				if code, _ := ws.ParseCloseFrameData(got.Payload); code != ws.StatusNormalClosure {
					t.Fatalf("close code %d, want %d", code, ws.StatusNormalClosure)
				}
				_, err = ws.ReadFrame(c)
			}
			// Closed: an end of stream, or a reset when the server closed
			// with our bytes still unread in its socket.
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("after the frame: %v, want the connection closed", err)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	addr := start(t)
	t.Run("head in two writes", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
		for _, part := range []string{req[:40], req[40:]} {
			if _, err := io.WriteString(c, part); err != nil {
				t.Fatal(err)
			}
		}
		want := "HTTP/1.1 101 Switching Protocols\r\n"
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
			t.Fatalf("response %q, %v; want %q", got, err, want)
		}
	})
	t.Run("not an upgrade", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := io.ReadAll(c) // the server answers, then closes
		if err != nil || !bytes.HasPrefix(resp, []byte("HTTP/1.1 4")) {
			t.Fatalf("response %q, %v; want a 4xx and the end", resp, err)
		}
	})
}

// BenchmarkEcho times the frame loop of one OnTraffic without the network:
// one op = one 64-byte masked binary frame parsed, unmasked and appended as
// a reply. F1 = one frame per turn, F32 = 32 frames per turn.
func BenchmarkEcho(b *testing.B) {
	for _, perTurn := range []int{1, 32} {
		var in bytes.Buffer
		for range perTurn {
			f := ws.MaskFrame(ws.NewBinaryFrame(bytes.Repeat([]byte{7}, 64)))
			if err := ws.WriteFrame(&in, f); err != nil {
				b.Fatal(err)
			}
		}
		name := map[int]string{1: "F1", 32: "F32"}[perTurn]
		b.Run(name, func(b *testing.B) {
			wc := new(wsConn)
			buf := in.Bytes()
			b.ReportAllocs()
			for i := 0; i < b.N; i += perTurn {
				used, closing, err := wc.echo(buf)
				if err != nil || closing || used != len(buf) || len(wc.out) != perTurn*(2+64) {
					b.Fatalf("used %d of %d, closing %v, err %v, out %d", used, len(buf), closing, err, len(wc.out))
				}
				wc.out = wc.out[:0]
			}
		})
	}
}
