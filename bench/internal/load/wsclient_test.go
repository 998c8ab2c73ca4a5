package load

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// startWSEcho serves a WebSocket echo on a loopback port until the test ends
// and returns its address: a goroutine per connection, gobwas/ws for the
// handshake and frame headers, and reused buffers so that the server
// allocates nothing per message either (AllocsPerRun counts every
// goroutine's allocations).
func startWSEcho(t testing.TB) string {
	t.Helper()
	return startServer(t, func(ln net.Listener) error {
		var wg sync.WaitGroup
		defer wg.Wait()
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			if err != nil {
				return err
			}
			wg.Go(func() {
				defer c.Close()
				if _, err := ws.Upgrade(c); err != nil {
					return
				}
				_ = echoFrames(bufio.NewReaderSize(c, 64<<10), c)
			})
		}
	})
}

// echoFrames answers every masked frame read from r with the same frame,
// unmasked, on w, until an error.
func echoFrames(r io.Reader, w io.Writer) error {
	hdr := make([]byte, ws.MaxHeaderSize)
	var out []byte
	for {
		h, err := ws.ReadHeaderBuffer(r, hdr)
		if err != nil {
			return err
		}
		hl := ws.HeaderSize(ws.Header{Length: h.Length})
		n := hl + int(h.Length)
		if cap(out) < n {
			out = make([]byte, n)
		}
		out = out[:n]
		if _, err := io.ReadFull(r, out[hl:]); err != nil {
			return err
		}
		ws.Cipher(out[hl:], h.Mask, 0)
		h.Masked = false
		// The header is taken from hdr, which ws.WriteHeaderBuffer encodes into.
		if err := ws.WriteHeaderBuffer(io.Discard, h, hdr); err != nil {
			return err
		}
		copy(out, hdr[:hl])
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
}

// dialWS opens one upgraded connection to addr for the client tests.
func dialWS(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c := dialOne(t, addr)
	if err := wsHandshake(c, addr, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWSClientAllocatesNothingPerMessage(t *testing.T) {
	addr := startWSEcho(t)
	tests := []struct {
		name  string
		size  int
		depth int
	}{
		{name: "ping-pong 64 B", size: 64, depth: 1},
		{name: "ping-pong 4 KiB", size: 4096, depth: 1},
		{name: "ping-pong 70 KiB (64-bit length)", size: 70 << 10, depth: 1},
		{name: "pipelined 64 B x 32", size: 64, depth: 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newWSClient(0, dialWS(t, addr), tt.size, tt.depth)
			st := new(stats)
			st.measuring.Store(true)
			if err := c.send(tt.depth); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(200, func() {
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
			if allocs != 0 {
				t.Fatalf("%v allocations per message, want 0", allocs)
			}
			if st.msgs.Load() == 0 || st.bad.Load() != 0 {
				t.Fatalf("%d echoes, %d bad", st.msgs.Load(), st.bad.Load())
			}
		})
	}
}

func TestRunWebSocket(t *testing.T) {
	addr := startWSEcho(t)
	for _, depth := range []int{1, 8} {
		res, err := Run(context.Background(), Config{Addr: addr, Proto: ProtoWS, Conns: 4, Size: 100, Depth: depth,
			Warmup: 10 * time.Millisecond, Duration: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if res.Proto != ProtoWS || res.Messages == 0 || res.BadEchoes != 0 || res.ConnErrors != 0 {
			t.Fatalf("depth %d: %+v", depth, res)
		}
	}
}

// serveCanned answers every connection's first request head with resp, then
// holds the connection until the peer closes it.
func serveCanned(t *testing.T, resp func(key string) string) string {
	t.Helper()
	return startServer(t, func(ln net.Listener) error {
		var wg sync.WaitGroup
		defer wg.Wait()
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			if err != nil {
				return err
			}
			wg.Go(func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				if _, err := c.Write([]byte(resp(req.Header.Get("Sec-WebSocket-Key")))); err != nil {
					return
				}
				_, _ = c.Read(make([]byte, 1)) // until the client closes
			})
		}
	})
}

func TestWSHandshake(t *testing.T) {
	ok := func(key string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			wsAccept(key) + "\r\n\r\n"
	}
	tests := []struct {
		name    string
		resp    func(key string) string
		wantErr error
	}{
		{name: "accepted", resp: ok},
		{name: "refused", resp: func(string) string { return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" }, wantErr: ErrHandshake},
		{name: "wrong accept", resp: func(string) string { return ok("another key") }, wantErr: ErrHandshake},
		{name: "bytes after the head", resp: func(key string) string { return ok(key) + "\x82\x00" }, wantErr: ErrHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveCanned(t, tt.resp)
			err := wsHandshake(dialOne(t, addr), addr, 5*time.Second)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if got, want := wsAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want { // RFC 6455, 1.3
		t.Fatalf("wsAccept = %q, want %q", got, want)
	}
}

// TestWSClientFrames feeds the client canned server frames after one sent
// message and checks how each is counted.
func TestWSClientFrames(t *testing.T) {
	const size = 16
	echo := func(c *wsClient) []byte { // the right echo of message 0
		f := []byte{wsFin | wsOpBinary, size}
		return append(f, c.plain...)
	}
	tests := []struct {
		name     string
		frames   func(c *wsClient) []byte
		wantGot  int
		wantBad  uint64
		wantErr  error
		oneByOne bool // deliver the bytes one at a time
	}{
		{name: "echo", frames: echo, wantGot: 1},
		{name: "echo in single bytes", frames: echo, wantGot: 1, oneByOne: true},
		{name: "ping first", frames: func(c *wsClient) []byte { return append([]byte{wsFin | wsOpPing, 1, 'x'}, echo(c)...) }, wantGot: 1},
		{name: "wrong payload", frames: func(c *wsClient) []byte { f := echo(c); f[len(f)-1]++; return f }, wantGot: 1, wantBad: 1},
		{name: "text opcode", frames: func(c *wsClient) []byte { f := echo(c); f[0] = wsFin | 0x1; return f }, wantGot: 1, wantBad: 1},
		{name: "close", frames: func(*wsClient) []byte { return []byte{wsFin | wsOpClose, 0} }, wantErr: ErrPeerClosed},
		{name: "masked", frames: func(*wsClient) []byte { return []byte{wsFin | wsOpBinary, wsMaskBit | 1, 0, 0, 0, 0, 'x'} }, wantErr: ErrBadFrame},
		{name: "too long", frames: func(*wsClient) []byte { return []byte{wsFin | wsOpBinary, 126, 0xFF, 0xFF} }, wantErr: ErrBadFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			c := newWSClient(3, dialOne(t, ln.Addr().String()), size, 1)
			srv, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if err := c.send(1); err != nil {
				t.Fatal(err)
			}
			checkClientFrame(t, srv, c)
			out := tt.frames(c)
			st := new(stats)
			got := 0
			for i := 0; i < len(out); {
				n := len(out) - i
				if tt.oneByOne {
					n = 1
				}
				if _, err := srv.Write(out[i : i+n]); err != nil {
					t.Fatal(err)
				}
				i += n
				var k int
				k, err = c.receive(st)
				got += k
				if err != nil {
					break
				}
			}
			if !errors.Is(err, tt.wantErr) || got != tt.wantGot || st.bad.Load() != tt.wantBad {
				t.Fatalf("got %d echoes, %d bad, err %v; want %d, %d, %v", got, st.bad.Load(), err, tt.wantGot, tt.wantBad, tt.wantErr)
			}
		})
	}
}

// checkClientFrame reads the client's frame for message 0 on srv and checks
// that it is one masked final binary frame of the right payload.
func checkClientFrame(t *testing.T, srv net.Conn, c *wsClient) {
	t.Helper()
	h, err := ws.ReadHeader(srv)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Fin || h.OpCode != ws.OpBinary || !h.Masked || h.Length != int64(c.size) {
		t.Fatalf("client frame header %+v", h)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(srv, p); err != nil {
		t.Fatal(err)
	}
	ws.Cipher(p, h.Mask, 0)
	if string(p) != string(c.plain) { // message 0: the sequence number is zero, as in plain
		t.Fatalf("payload %x, want %x", p, c.plain)
	}
}

// Benchmarks: one op = one message echoed by the in-process WebSocket echo
// (startWSEcho). PP = ping-pong, PL32 = pipelined with 32 in flight; B64 =
// 64-byte payload. Compare with BenchmarkClient's raw TCP figures.
func BenchmarkWSClient(b *testing.B) {
	addr := startWSEcho(b)
	for _, depth := range []int{1, 32} {
		name := map[int]string{1: "ws/PP/B64", 32: "ws/PL32/B64"}[depth]
		b.Run(name, func(b *testing.B) {
			c := newWSClient(0, dialWS(b, addr), 64, depth)
			st := new(stats)
			st.measuring.Store(true)
			if err := c.send(depth); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for st.msgs.Load() < uint64(b.N) {
				n, err := c.receive(st)
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					continue
				}
				if err := c.send(n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
