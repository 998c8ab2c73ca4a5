package actor_test

// BenchmarkWebSocketEcho: one client connection upgraded by hand, 64-byte
// masked binary frames, wait for each echo before the next. One op = one
// message echoed; allocations cover server and client (the client allocates
// nothing itself). Baseline = the same exchange against a gorilla/websocket
// echo server on package net (goroutine per connection), in the same run.

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	gorilla "github.com/gorilla/websocket"
	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
)

// wsEchoActor writes back what it receives, keeping its kind, without
// allocating: it writes the value it was given.
type wsEchoActor struct{}

func (wsEchoActor) Receive(ctx *actor.Context) {
	switch msg := ctx.Message(); msg.(type) {
	case []byte, codec.Text:
		ctx.Write(msg)
	}
}

func wsPingPong(b *testing.B, addr string, size int) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		b.Fatalf("upgrade: %v %v", resp, err)
	}
	payload := make([]byte, size)
	frame := rawFrame(true, 0x2, true, payload)
	head := 2
	if size >= 126 {
		head = 4
	}
	got := make([]byte, head+size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, got); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWebSocketEcho(b *testing.B) {
	sys, err := actor.NewSystem()
	if err != nil {
		b.Fatal(err)
	}
	l, err := sys.Listen("127.0.0.1:0", websocket.Raw(websocket.Options{}), func() actor.Actor { return wsEchoActor{} })
	if err != nil {
		b.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		b.Fatal(err)
	}
	defer sys.Stop(context.Background())

	std, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&gorilla.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, rd, err := c.NextReader()
			if err != nil {
				return
			}
			wr, err := c.NextWriter(kind)
			if err != nil {
				return
			}
			if _, err := io.Copy(wr, rd); err != nil {
				return
			}
			if wr.Close() != nil {
				return
			}
		}
	})}
	go srv.Serve(std)
	defer srv.Close()

	for _, size := range []int{64, 4096} {
		name := "B" + map[int]string{64: "64", 4096: "4K"}[size]
		b.Run("Shoal/"+name, func(b *testing.B) { wsPingPong(b, l.Addr().String(), size) })
		b.Run("Gorilla/"+name, func(b *testing.B) { wsPingPong(b, std.Addr().String(), size) })
	}
}
