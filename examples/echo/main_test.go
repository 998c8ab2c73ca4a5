package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
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
				done <- serve(ctx, config{addr: "127.0.0.1:0", shards: 2, reuse: tt.reuse, lb: tt.lb, proto: "tcp"}, func(a net.Addr) { addrs <- a })
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
	err := serve(context.Background(), config{addr: "127.0.0.1:0", shards: 1, lb: "random", proto: "tcp"}, func(net.Addr) {})
	if err == nil {
		t.Fatal("unknown policy accepted")
	}
	err = serve(context.Background(), config{addr: "127.0.0.1:0", shards: 1, lb: "round-robin", proto: "quic"}, func(net.Addr) {})
	if err == nil {
		t.Fatal("unknown protocol accepted")
	}
}

// TestEchoWebSocket runs -proto ws: a real WebSocket client gets text and
// binary messages back with their kind, and the page is served on the same
// port.
func TestEchoWebSocket(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, config{addr: "127.0.0.1:0", shards: 2, lb: "round-robin", proto: "ws"}, func(a net.Addr) { addrs <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Get("http://" + addr.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("new WebSocket")) {
		t.Fatalf("page: %d %q", resp.StatusCode, body)
	}
	d := gorilla.Dialer{HandshakeTimeout: 20 * time.Second, EnableCompression: true}
	conn, resp, err := d.Dial("ws://"+addr.String()+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for _, m := range []struct {
		kind int
		data []byte
	}{
		{gorilla.TextMessage, []byte("hello")},
		{gorilla.BinaryMessage, []byte{0, 1, 2, 255}},
		{gorilla.TextMessage, bytes.Repeat([]byte("long line "), 500)},
	} {
		if err := conn.WriteMessage(m.kind, m.data); err != nil {
			t.Fatal(err)
		}
		kind, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if kind != m.kind || !bytes.Equal(data, m.data) {
			t.Fatalf("echo differs: kind %d, %d bytes", kind, len(data))
		}
	}
	conn.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
