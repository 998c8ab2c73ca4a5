package actor_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/stretchr/testify/require"
)

// wsEcho echoes every WebSocket message with its kind: binary as []byte,
// text as codec.Text.
func wsEcho(p *probe) actor.Factory {
	p.onMsg = func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case []byte:
			ctx.Write(m)
		case codec.Text:
			ctx.Write(m)
		}
	}
	return p.factory
}

// wsDial opens a gorilla/websocket client connection to l.
func wsDial(t *testing.T, l *actor.Listener, path string, d *gorilla.Dialer) *gorilla.Conn {
	t.Helper()
	if d == nil {
		d = &gorilla.Dialer{HandshakeTimeout: waitFor}
	}
	conn, resp, err := d.Dial("ws://"+l.Addr().String()+path, nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(waitFor)))
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestWebSocketEchoWithGorilla(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "tcp://127.0.0.1:0", websocket.Raw(websocket.Options{Path: "/echo"}), wsEcho(p))
	conn := wsDial(t, l, "/echo?room=1", nil)

	opened := p.next(t, isOpened).msg.(actor.Opened)
	up, ok := opened.Info.(*websocket.Upgrade)
	require.True(t, ok, "Opened.Info is %T", opened.Info)
	require.Equal(t, "/echo", up.Request.URL.Path)
	require.Equal(t, "1", up.Request.URL.Query().Get("room"))
	require.Equal(t, conn.LocalAddr().String(), up.Request.RemoteAddr, "the request knows its client's address")

	for _, tc := range []struct {
		kind int
		data string
	}{
		{gorilla.TextMessage, "hello"},
		{gorilla.BinaryMessage, "\x00\x01\x02binary"},
		{gorilla.TextMessage, "héllo wörld"},
		{gorilla.BinaryMessage, strings.Repeat("x", 70000)}, // a 64-bit length
	} {
		require.NoError(t, conn.WriteMessage(tc.kind, []byte(tc.data)))
		kind, data, err := conn.ReadMessage()
		require.NoError(t, err)
		require.Equal(t, tc.kind, kind)
		require.Equal(t, tc.data, string(data))
	}

	// A fragmented message arrives whole.
	w, err := conn.NextWriter(gorilla.TextMessage)
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		_, err = fmt.Fprintf(w, "part%d;", i)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	kind, data, err := conn.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, gorilla.TextMessage, kind)
	require.Equal(t, "part0;part1;part2;part3;part4;", string(data))

	// Pings are answered by the protocol, not the actor.
	pong := make(chan string, 1)
	conn.SetPongHandler(func(s string) error { pong <- s; return nil })
	require.NoError(t, conn.WriteControl(gorilla.PingMessage, []byte("are you there"), time.Now().Add(waitFor)))
	go conn.ReadMessage() // runs the pong handler; ends with the close below
	select {
	case s := <-pong:
		require.Equal(t, "are you there", s)
	case <-time.After(waitFor):
		t.Fatal("no pong")
	}

	// A clean close handshake is a clean Closed.
	require.NoError(t, conn.WriteControl(gorilla.CloseMessage,
		gorilla.FormatCloseMessage(gorilla.CloseNormalClosure, "bye"), time.Now().Add(waitFor)))
	require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err)
}

// Say and Said are typed messages of the JSON WebSocket test.
type Say struct{ Text string }
type Said struct {
	Text string
	N    int
}

func TestWebSocketTypedJSON(t *testing.T) {
	n := 0
	_, l := startSystem(t, "tcp://127.0.0.1:0", websocket.JSON(websocket.Options{}, Say{}, Said{}), func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if m, ok := ctx.Message().(Say); ok {
				n++
				ctx.Write(Said{Text: strings.ToUpper(m.Text), N: n})
			}
		})
	})
	conn := wsDial(t, l, "/", nil)
	require.NoError(t, conn.WriteMessage(gorilla.TextMessage, []byte(`{"type":"Say","data":{"Text":"hi"}}`)))
	kind, data, err := conn.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, gorilla.TextMessage, kind, "JSON goes out as text")
	require.JSONEq(t, `{"type":"Said","data":{"Text":"HI","N":1}}`, string(data))

	// An unknown type closes only this connection, with a clear code.
	require.NoError(t, conn.WriteMessage(gorilla.TextMessage, []byte(`{"type":"Nope","data":{}}`)))
	_, _, err = conn.ReadMessage()
	var ce *gorilla.CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, gorilla.CloseUnsupportedData, ce.Code, "an unregistered type is data the server cannot accept")
}

func TestWebSocketCompressionWithGorilla(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "tcp://127.0.0.1:0", websocket.Raw(websocket.Options{Compression: true, CompressThreshold: 1}), wsEcho(p))
	conn := wsDial(t, l, "/", &gorilla.Dialer{HandshakeTimeout: waitFor, EnableCompression: true})
	up := p.next(t, isOpened).msg.(actor.Opened).Info.(*websocket.Upgrade)
	require.True(t, up.Compressed, "permessage-deflate was offered and must be negotiated")
	conn.EnableWriteCompression(true)
	for _, msg := range []string{"a", strings.Repeat("compress me ", 1000), "tail"} {
		require.NoError(t, conn.WriteMessage(gorilla.TextMessage, []byte(msg)))
		_, data, err := conn.ReadMessage()
		require.NoError(t, err)
		require.Equal(t, msg, string(data))
	}
}

func TestWebSocketHTTPAndPaths(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/index.html" {
			http.NotFound(w, r)
			return
		}
		if _, _, err := net.SplitHostPort(r.RemoteAddr); err != nil {
			http.Error(w, "no client address", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "page at %s", r.URL.Path)
	})
	p := newProbe()
	_, l := startSystem(t, "tcp://127.0.0.1:0", websocket.Raw(websocket.Options{Path: "/ws", HTTP: page}), wsEcho(p))

	// A plain GET on the same port is answered by the HTTP handler.
	client := &http.Client{Timeout: waitFor}
	resp, err := client.Get("http://" + l.Addr().String() + "/index.html")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "page at /index.html", string(body))

	// An upgrade on another path is not an upgrade to this socket: the
	// HTTP handler answers it (here with 404); on the right path it works.
	_, resp, err = (&gorilla.Dialer{HandshakeTimeout: waitFor}).Dial("ws://"+l.Addr().String()+"/other", nil)
	require.Error(t, err)
	require.NotNil(t, resp)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	conn := wsDial(t, l, "/ws", nil)
	require.NoError(t, conn.WriteMessage(gorilla.TextMessage, []byte("ok")))
	_, data, err := conn.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, "ok", string(data))
}

// rawFrame builds one client frame: fin, opcode, masked or not.
func rawFrame(fin bool, op byte, masked bool, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	mbit := byte(0)
	if masked {
		mbit = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		out = append(out, mbit|byte(n))
	case n < 1<<16:
		out = append(out, mbit|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, mbit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// rawUpgrade opens a TCP connection to l and completes a WebSocket handshake
// by hand, for sending frames a real client never would.
func rawUpgrade(t *testing.T, l *actor.Listener) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn := dial(t, l.Addr())
	_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	require.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", resp.Header.Get("Sec-WebSocket-Accept"))
	return conn, r
}

// readClose reads server frames until a close frame and returns its code.
func readClose(t *testing.T, r *bufio.Reader) int {
	t.Helper()
	for {
		var h [2]byte
		_, err := io.ReadFull(r, h[:])
		require.NoError(t, err, "the server closed without a close frame")
		require.Zero(t, h[1]&0x80, "server frames are not masked")
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var x [2]byte
			_, err = io.ReadFull(r, x[:])
			n = int(binary.BigEndian.Uint16(x[:]))
		case 127:
			var x [8]byte
			_, err = io.ReadFull(r, x[:])
			n = int(binary.BigEndian.Uint64(x[:]))
		}
		require.NoError(t, err)
		payload := make([]byte, n)
		_, err = io.ReadFull(r, payload)
		require.NoError(t, err)
		if h[0]&0x0f == 0x8 {
			if n < 2 {
				return 1005
			}
			return int(binary.BigEndian.Uint16(payload))
		}
	}
}

func TestWebSocketProtocolViolationsCloseCodes(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "tcp://127.0.0.1:0", websocket.Raw(websocket.Options{MaxMessage: 1024}), wsEcho(p))
	closeWith := func(code int) []byte {
		return binary.BigEndian.AppendUint16(nil, uint16(code))
	}
	for _, tc := range []struct {
		name   string
		frames [][]byte
		code   int
	}{
		{"unmasked client frame", [][]byte{rawFrame(true, 0x2, false, []byte("x"))}, 1002},
		{"reserved opcode", [][]byte{rawFrame(true, 0x3, true, []byte("x"))}, 1002},
		{"reserved control opcode", [][]byte{rawFrame(true, 0xb, true, nil)}, 1002},
		{"reserved bit", [][]byte{append([]byte{0xc2}, rawFrame(true, 0x2, true, []byte("x"))[1:]...)}, 1002},
		{"fragmented ping", [][]byte{rawFrame(false, 0x9, true, []byte("p"))}, 1002},
		{"control frame over 125 bytes", [][]byte{rawFrame(true, 0x9, true, make([]byte, 126))}, 1002},
		{"continuation without a start", [][]byte{rawFrame(true, 0x0, true, []byte("x"))}, 1002},
		{"new message inside a fragmented one", [][]byte{rawFrame(false, 0x1, true, []byte("a")), rawFrame(true, 0x1, true, []byte("b"))}, 1002},
		{"invalid UTF-8 text", [][]byte{rawFrame(true, 0x1, true, []byte{0xff, 0xfe})}, 1007},
		{"invalid UTF-8 across fragments", [][]byte{rawFrame(false, 0x1, true, []byte{0xe2, 0x82}), rawFrame(true, 0x0, true, []byte{0x28})}, 1007},
		{"oversized frame", [][]byte{rawFrame(true, 0x2, true, make([]byte, 2000))}, 1009},
		{"oversized fragments", [][]byte{rawFrame(false, 0x2, true, make([]byte, 800)), rawFrame(true, 0x0, true, make([]byte, 800))}, 1009},
		{"bad close code", [][]byte{rawFrame(true, 0x8, true, closeWith(1005))}, 1002},
		{"close code out of range", [][]byte{rawFrame(true, 0x8, true, closeWith(999))}, 1002},
		{"one-byte close payload", [][]byte{rawFrame(true, 0x8, true, []byte{3})}, 1002},
		{"close reason not UTF-8", [][]byte{rawFrame(true, 0x8, true, append(closeWith(1000), 0xff))}, 1007},
		{"clean close", [][]byte{rawFrame(true, 0x8, true, closeWith(1000))}, 1000},
		{"application close code echoed", [][]byte{rawFrame(true, 0x8, true, closeWith(4001))}, 4001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, r := rawUpgrade(t, l)
			for _, f := range tc.frames {
				_, err := conn.Write(f)
				require.NoError(t, err)
			}
			require.Equal(t, tc.code, readClose(t, r))
			_, err := r.ReadByte()
			requireClosed(t, err, "the server closes the connection after its close frame")
		})
	}
}

func TestWebSocketHostileHandshakes(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "tcp://127.0.0.1:0", websocket.Raw(websocket.Options{MaxHeaderBytes: 1024, HandshakeTimeout: 100 * time.Millisecond}), wsEcho(p))
	for _, tc := range []struct {
		name, req string
		status    int // 0: closed without an answer
	}{
		{"headers never end", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Pad: y\r\n", 200), http.StatusRequestHeaderFieldsTooLarge},
		{"handshake that stalls", "GET / HTTP/1.1\r\nHost: x\r\n", 0},
		{"wrong version", "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", http.StatusUpgradeRequired},
		{"bad key", "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n", http.StatusBadRequest},
		{"POST", "POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", http.StatusBadRequest},
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, l.Addr())
			_, err := io.WriteString(conn, tc.req)
			require.NoError(t, err)
			r := bufio.NewReader(conn)
			if tc.status == 0 {
				_, err := r.ReadByte()
				requireClosed(t, err)
				return
			}
			resp, err := http.ReadResponse(r, nil)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
		})
	}
	require.Eventually(t, func() bool { return l.Open() == 0 }, waitFor, time.Millisecond)
	select {
	case e := <-p.events:
		t.Fatalf("an actor saw %#v from a connection whose handshake failed", e.msg)
	default:
	}
}

func TestWebSocketDialGorillaServer(t *testing.T) {
	up := gorilla.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/feed" {
			http.NotFound(w, r)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if c.WriteMessage(kind, append([]byte("echo:"), data...)) != nil {
				return
			}
		}
	}))
	defer srv.Close()

	cli := newProbe()
	sys, _ := startSystem(t, "tcp://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	addr := "ws://" + strings.TrimPrefix(srv.URL, "http://")
	cli.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.Write(codec.Text("hi"))
			ctx.Write([]byte{1, 2, 3})
		}
	}
	id, err := sys.Dial(ctx, addr+"/feed", websocket.Raw(websocket.Options{}), cli.factory)
	require.NoError(t, err)
	opened := cli.next(t, isOpened)
	require.Equal(t, id, opened.id)
	require.NotNil(t, opened.msg.(actor.Opened).Info.(*websocket.Upgrade).Response)
	require.Equal(t, codec.Text("echo:hi"), cli.next(t, func(m any) bool { _, ok := m.(codec.Text); return ok }).msg)
	require.Equal(t, "echo:\x01\x02\x03", cli.next(t, func(m any) bool { _, ok := m.(string); return ok }).msg)

	// A refused upgrade is Dial's error.
	_, err = sys.Dial(ctx, addr+"/nothing-here", websocket.Raw(websocket.Options{}), cli.factory)
	require.Error(t, err)
	var he *websocket.HandshakeError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusNotFound, he.Status)
}

func TestWebSocketCloseCodesFromTheServer(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case codec.Text:
			switch string(m) {
			case "close":
				ctx.Close()
			case "kick":
				ctx.CloseWith(&websocket.CloseError{Code: 4000, Reason: "kicked"})
			case "fail":
				ctx.CloseWith(fmt.Errorf("something broke"))
			}
		}
	}
	sys, l := startSystem(t, "tcp://127.0.0.1:0", websocket.Raw(websocket.Options{}), p.factory)
	for _, tc := range []struct {
		say  string
		code int
		text string
	}{
		{"close", gorilla.CloseNormalClosure, ""},
		{"kick", 4000, "kicked"},
		{"fail", gorilla.CloseInternalServerErr, ""},
	} {
		t.Run(tc.say, func(t *testing.T) {
			conn := wsDial(t, l, "/", nil)
			require.NoError(t, conn.WriteMessage(gorilla.TextMessage, []byte(tc.say)))
			_, _, err := conn.ReadMessage()
			var ce *gorilla.CloseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.code, ce.Code)
			require.Equal(t, tc.text, ce.Text)
		})
	}

	// Shutting one listener down says going away (1001) to its clients,
	// and so does stopping the system.
	l2, err := sys.Listen("tcp://127.0.0.1:0", websocket.Raw(websocket.Options{}), p.factory)
	require.NoError(t, err)
	c2 := wsDial(t, l2, "/", nil)
	p.next(t, func(m any) bool {
		o, ok := m.(actor.Opened)
		return ok && o.Info != nil
	})
	sctx, scancel := context.WithTimeout(context.Background(), waitFor)
	defer scancel()
	shut := make(chan error, 1)
	go func() { shut <- l2.Shutdown(sctx) }()
	_, _, err = c2.ReadMessage()
	var ce2 *gorilla.CloseError
	require.ErrorAs(t, err, &ce2)
	require.Equal(t, gorilla.CloseGoingAway, ce2.Code)
	require.NoError(t, <-shut)

	conn := wsDial(t, l, "/", nil)
	p.next(t, func(m any) bool {
		o, ok := m.(actor.Opened)
		return ok && o.Info != nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- sys.Stop(ctx) }()
	_, _, err = conn.ReadMessage()
	var ce *gorilla.CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, gorilla.CloseGoingAway, ce.Code)
	require.NoError(t, <-stopped)
}

func TestWebSocketTypedMsgpackAndOrigin(t *testing.T) {
	c := websocket.Msgpack(websocket.Options{
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "http://good.example" },
	}, Say{}, Said{})
	_, l := startSystem(t, "tcp://127.0.0.1:0", c, func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if m, ok := ctx.Message().(Say); ok {
				ctx.Write(Said{Text: m.Text + "!", N: len(m.Text)})
			}
		})
	})

	// An untrusted Origin is refused before any actor exists.
	hdr := http.Header{"Origin": {"http://evil.example"}}
	_, resp, err := (&gorilla.Dialer{HandshakeTimeout: waitFor}).Dial("ws://"+l.Addr().String()+"/", hdr)
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	hdr.Set("Origin", "http://good.example")
	conn, resp, err := (&gorilla.Dialer{HandshakeTimeout: waitFor}).Dial("ws://"+l.Addr().String()+"/", hdr)
	require.NoError(t, err)
	resp.Body.Close()
	defer conn.Close()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(waitFor)))

	// The client speaks the same registry's msgpack encoding in binary frames.
	payload, err := c.Marshal(nil, Say{Text: "hey"})
	require.NoError(t, err)
	require.NoError(t, conn.WriteMessage(gorilla.BinaryMessage, payload))
	kind, data, err := conn.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, gorilla.BinaryMessage, kind, "msgpack goes out as binary")
	got, err := c.Unmarshal(data)
	require.NoError(t, err)
	require.Equal(t, Said{Text: "hey!", N: 3}, got)
}

func TestWebSocketServerPing(t *testing.T) {
	errs := make(chan error, 2)
	_, l := startSystem(t, "tcp://127.0.0.1:0", websocket.JSON(websocket.Options{}, Say{}), func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if _, ok := ctx.Message().(actor.Opened); ok {
				errs <- ctx.Write(websocket.Ping(strings.Repeat("x", 126)))
				errs <- ctx.Write(websocket.Ping("are you there"))
			}
		})
	})
	conn := wsDial(t, l, "/", nil)
	pinged := make(chan string, 1)
	conn.SetPingHandler(func(s string) error { pinged <- s; return nil })
	go conn.ReadMessage() // runs the ping handler; ends when the test closes conn
	require.ErrorIs(t, <-errs, websocket.ErrPingTooLong, "a ping longer than a control frame is refused")
	require.NoError(t, <-errs)
	select {
	case s := <-pinged:
		require.Equal(t, "are you there", s)
	case <-time.After(waitFor):
		t.Fatal("no ping reached the client")
	}
}

// TestWebSocketBroadcastMixedCompression: a broadcast frames a message once
// per framing class (plain, compressed) and every member reads it right.
func TestWebSocketBroadcastMixedCompression(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.Join("all")
		}
	}
	sys, l := startSystem(t, "tcp://127.0.0.1:0", websocket.Raw(websocket.Options{Compression: true, CompressThreshold: 32}), p.factory)
	var conns []*gorilla.Conn
	for i, compress := range []bool{true, false, true, false} {
		conns = append(conns, wsDial(t, l, "/", &gorilla.Dialer{HandshakeTimeout: waitFor, EnableCompression: compress}))
		up := p.next(t, isOpened).msg.(actor.Opened).Info.(*websocket.Upgrade)
		require.Equal(t, compress, up.Compressed, "client %d", i)
	}
	for _, msg := range []string{strings.Repeat("the same news for everyone ", 20), "short"} {
		require.NoError(t, sys.Broadcast("all", codec.Text(msg)))
		for i, c := range conns {
			kind, data, err := c.ReadMessage()
			require.NoError(t, err, "client %d", i)
			require.Equal(t, gorilla.TextMessage, kind)
			require.Equal(t, msg, string(data), "client %d", i)
		}
	}
}

// TestWebSocketDialHandshakeTimeout: a server that accepts the connection
// but never answers the upgrade makes Dial fail once the codec's handshake
// timeout passes; no actor is made.
func TestWebSocketDialHandshakeTimeout(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer silent.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := silent.Accept(); err == nil {
			accepted <- c // held open, never answered
		}
	}()
	cli := newProbe()
	sys, _ := startSystem(t, "tcp://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err = sys.Dial(ctx, "ws://"+silent.Addr().String()+"/", websocket.Raw(websocket.Options{HandshakeTimeout: 50 * time.Millisecond}), cli.factory)
	require.ErrorIs(t, err, actor.ErrHandshakeTimeout)
	(<-accepted).Close()
	select {
	case e := <-cli.events:
		t.Fatalf("an actor saw %#v for a dial that never opened", e.msg)
	default:
	}
}

// A WebSocket actor that answers and then closes with a close code while
// more messages wait to be decoded behind the one it handles (a flood it
// refuses, say) ends cleanly: the peer gets the answer and the code, and
// the shard lives on.
func TestWebSocketCloseWithWhileMessagesWait(t *testing.T) {
	for round := range 20 {
		p := newProbe()
		n := 0
		p.onMsg = func(ctx *actor.Context) {
			if _, ok := ctx.Message().(codec.Text); ok {
				if n++; n == 3 {
					ctx.Write(codec.Text("enough"))
					ctx.CloseWith(&websocket.CloseError{Code: websocket.ClosePolicyViolation, Reason: "flooding"})
				}
			}
		}
		_, l := startSystem(t, "tcp://127.0.0.1:0", websocket.Raw(websocket.Options{}), p.factory)
		conn := wsDial(t, l, "/", nil)
		for i := range 10 {
			if err := conn.WriteMessage(gorilla.TextMessage, []byte(strings.Repeat("m", 100*i+round))); err != nil {
				break // closed by the server
			}
		}
		conn.SetReadDeadline(time.Now().Add(waitFor))
		_, b, err := conn.ReadMessage()
		require.NoError(t, err)
		require.Equal(t, "enough", string(b))
		_, _, err = conn.ReadMessage()
		var ce *gorilla.CloseError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, websocket.ClosePolicyViolation, ce.Code)
		conn.Close()
	}
}
