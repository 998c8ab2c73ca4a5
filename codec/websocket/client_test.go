package websocket

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

func TestClientHello(t *testing.T) {
	c := Raw(Options{Protocols: []string{"v2", "v1"}, Compression: true,
		Header: http.Header{"Origin": {"http://example.com"}, "Sec-WebSocket-Key": {"override"}}})
	st := c.NewStream(true, "ws://example.com:8080/chat?room=1")
	hello := st.Hello([]byte("x"))
	require.Equal(t, byte('x'), hello[0])
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(hello[1:]))))
	require.NoError(t, err)
	require.Equal(t, "GET", req.Method)
	require.Equal(t, "/chat?room=1", req.RequestURI)
	require.Equal(t, "example.com:8080", req.Host)
	require.Equal(t, "websocket", req.Header.Get("Upgrade"))
	require.Equal(t, "Upgrade", req.Header.Get("Connection"))
	require.Equal(t, "13", req.Header.Get("Sec-WebSocket-Version"))
	require.Equal(t, "v2, v1", req.Header.Get("Sec-WebSocket-Protocol"))
	require.Equal(t, deflateOffer, req.Header.Get("Sec-WebSocket-Extensions"))
	require.Equal(t, "http://example.com", req.Header.Get("Origin"))
	keys := req.Header.Values("Sec-WebSocket-Key")
	require.Len(t, keys, 1, "Options.Header cannot override the key")
	require.Equal(t, st.(*stream).cl.key, keys[0])
	require.Len(t, keys[0], 24)
	require.NotEqual(t, keys[0], c.NewStream(true, "ws://example.com/").(*stream).cl.key, "a fresh key per stream")
	require.Empty(t, Raw(Options{}).NewStream(false, "").Hello(nil), "a server says nothing first")
}

func TestClientBadTargets(t *testing.T) {
	for _, target := range []string{"ftp://example.com/", "http://example.com/", "ws:///path", "::bad", ""} {
		st := Raw(Options{}).NewStream(true, target)
		require.Empty(t, st.Hello(nil), target)
		ev, n := st.Next(nil)
		require.Zero(t, n)
		require.Equal(t, codec.EventClose, ev.Kind, target)
		require.ErrorIs(t, ev.Err, ErrBadTarget, target)
		require.Empty(t, st.Goodbye(nil, nil))
	}
}

func TestClientHandshakeAnswers(t *testing.T) {
	ok := func(accept string, extra ...string) string {
		s := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n"
		for _, e := range extra {
			s += e + "\r\n"
		}
		return s + "\r\n"
	}
	for _, tc := range []struct {
		name       string
		opts       Options
		answer     func(accept string) string
		status     int // HandshakeError status; -1: success
		protocol   string
		compressed bool
	}{
		{name: "plain", answer: func(a string) string { return ok(a) }, status: -1},
		{name: "subprotocol", opts: Options{Protocols: []string{"a", "b"}},
			answer: func(a string) string { return ok(a, "Sec-WebSocket-Protocol: b") }, status: -1, protocol: "b"},
		{name: "deflate", opts: Options{Compression: true},
			answer: func(a string) string { return ok(a, "Sec-WebSocket-Extensions: "+deflateAnswer) }, status: -1, compressed: true},
		{name: "deflate with server window bits", opts: Options{Compression: true},
			answer: func(a string) string {
				return ok(a, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=10")
			}, status: -1, compressed: true},
		{name: "deflate declined", opts: Options{Compression: true}, answer: func(a string) string { return ok(a) }, status: -1},
		{name: "refused with 404", answer: func(string) string { return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" }, status: 404},
		{name: "200 instead of 101", answer: func(string) string { return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" }, status: 200},
		{name: "wrong accept", answer: func(string) string { return ok(sampleAccept) }, status: 101},
		{name: "no Upgrade", answer: func(a string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + a + "\r\n\r\n"
		}, status: 101},
		{name: "no Connection upgrade", answer: func(a string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + a + "\r\n\r\n"
		}, status: 101},
		{name: "subprotocol not offered", opts: Options{Protocols: []string{"a"}},
			answer: func(a string) string { return ok(a, "Sec-WebSocket-Protocol: z") }, status: 101},
		{name: "extension not offered", answer: func(a string) string { return ok(a, "Sec-WebSocket-Extensions: "+deflateAnswer) }, status: 101},
		{name: "deflate keeping server context", opts: Options{Compression: true},
			answer: func(a string) string { return ok(a, "Sec-WebSocket-Extensions: permessage-deflate") }, status: 101},
		{name: "deflate limiting our window", opts: Options{Compression: true},
			answer: func(a string) string {
				return ok(a, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=9")
			}, status: 101},
		{name: "unknown extension", opts: Options{Compression: true},
			answer: func(a string) string { return ok(a, "Sec-WebSocket-Extensions: x-other") }, status: 101},
		{name: "malformed", answer: func(string) string { return "HTTP/1.1 abc\r\n\r\n" }, status: 0},
		{name: "head too large", opts: Options{MaxHeaderBytes: 100}, answer: func(a string) string { return ok(a, "X-Pad: "+strings.Repeat("p", 200)) }, status: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := Raw(tc.opts).NewStream(true, "ws://example.com/")
			st.Hello(nil)
			accept := string(appendAccept(nil, st.(*stream).cl.key))
			in := append([]byte(tc.answer(accept)), sf(0x82, "first")...)
			evs, _ := feed(st, in)
			if tc.status >= 0 {
				require.Len(t, evs, 1)
				require.Equal(t, codec.EventClose, evs[0].Kind)
				require.Empty(t, evs[0].Frame)
				var he *HandshakeError
				require.ErrorAs(t, evs[0].Err, &he)
				require.Equal(t, tc.status, he.Status, "%v", he)
				return
			}
			require.Len(t, evs, 2, "%+v", evs)
			require.Equal(t, codec.EventOpen, evs[0].Kind, "%v", evs[0].Err)
			up := evs[0].Info.(*Upgrade)
			require.Nil(t, up.Request)
			require.Equal(t, 101, up.Response.StatusCode)
			require.Equal(t, tc.protocol, up.Protocol)
			require.Equal(t, tc.compressed, up.Compressed)
			require.Equal(t, -1, st.Shared(), "client frames are masked per connection")
			require.Equal(t, rec{Kind: codec.EventMessage, Frame: "first"}, evs[1], "frames after the answer are kept")
		})
	}
}

func TestAppendMessageKinds(t *testing.T) {
	c := Raw(Options{})
	js := JSON(Options{}, Say{})
	mp := Msgpack(Options{}, Say{})
	for _, tc := range []struct {
		name string
		c    *Codec
		msg  any
		b0   byte
	}{
		{"Text", c, codec.Text("t"), 0x81},
		{"string", c, "s", 0x81},
		{"[]byte", c, []byte("b"), 0x82},
		{"JSON value", js, Say{}, 0x81},
		{"msgpack value", mp, Say{}, 0x82},
		{"[]byte on a JSON codec", js, []byte("b"), 0x82},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.c.AppendShared(nil, []byte("p"), tc.msg, 0)
			require.NoError(t, err)
			require.Equal(t, []byte{tc.b0, 1, 'p'}, out)
			st := openServer(t, tc.c)
			require.Equal(t, 0, st.Shared())
			sout, err := st.AppendMessage(nil, []byte("p"), tc.msg)
			require.NoError(t, err)
			require.Equal(t, out, sout, "a shared stream frames like the codec")
		})
	}
	out, _ := js.Append(nil, []byte("{}"))
	require.Equal(t, byte(0x81), out[0], "JSON frames are text")
	out, _ = c.Append(nil, []byte("x"))
	require.Equal(t, byte(0x82), out[0])

	// Client frames are masked with a fresh key each.
	_, cli := pair(t, c, c)
	a, err := cli.AppendMessage(nil, []byte("same"), []byte(nil))
	require.NoError(t, err)
	b, _ := cli.AppendMessage(nil, []byte("same"), []byte(nil))
	require.Equal(t, byte(0x84), a[1])
	require.NotEqual(t, a, b)

	// Before the handshake nothing can be written.
	_, err = c.NewStream(false, "").AppendMessage(nil, nil, []byte(nil))
	require.ErrorIs(t, err, ErrNotOpen)
}

func TestRawSerializer(t *testing.T) {
	c := Raw(Options{})
	for _, m := range []any{[]byte("x"), codec.Text("x"), "x"} {
		out, err := c.Marshal([]byte("a"), m)
		require.NoError(t, err)
		require.Equal(t, "ax", string(out))
	}
	_, err := c.Marshal(nil, 42)
	require.ErrorIs(t, err, codec.ErrUnsupportedType)
	v, err := c.Unmarshal([]byte("y"))
	require.NoError(t, err)
	require.Equal(t, []byte("y"), v)

	js := JSON(Options{}, Say{})
	out, err := js.Marshal(nil, Say{Text: "hi"})
	require.NoError(t, err)
	v, err = js.Unmarshal(out)
	require.NoError(t, err)
	require.Equal(t, Say{Text: "hi"}, v, "Say{} registered: a Say received")
	require.NotNil(t, js.Serializer())
}
