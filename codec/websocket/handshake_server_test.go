package websocket

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// readAnswer parses an HTTP answer.
func readAnswer(t *testing.T, b string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(b)), nil)
	require.NoError(t, err, "answer %q", b)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestServerHandshakeRefusals(t *testing.T) {
	good := "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	up := "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	for _, tc := range []struct {
		name   string
		opts   Options
		req    string
		status int
		header string // an answer header that must be present, "Name: value"
	}{
		{name: "plain GET", req: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", status: 426, header: "Upgrade: websocket"},
		{name: "POST", req: "POST / HTTP/1.1\r\nHost: x\r\n" + up + good + "\r\n", status: 400},
		{name: "HTTP/1.0", req: "GET / HTTP/1.0\r\nHost: x\r\n" + up + good + "\r\n", status: 400},
		{name: "no Host", req: "GET / HTTP/1.1\r\n" + up + good + "\r\n", status: 400},
		{name: "Upgrade not websocket", req: "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" + good + "\r\n", status: 400},
		{name: "Connection without upgrade", req: "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" + good + "\r\n", status: 400},
		{name: "version 8", req: "GET / HTTP/1.1\r\nHost: x\r\n" + up + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", status: 426, header: "Sec-Websocket-Version: 13"},
		{name: "no version", req: "GET / HTTP/1.1\r\nHost: x\r\n" + up + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", status: 426},
		{name: "short key", req: "GET / HTTP/1.1\r\nHost: x\r\n" + up + "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n", status: 400},
		{name: "key not base64", req: "GET / HTTP/1.1\r\nHost: x\r\n" + up + "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!!!\r\nSec-WebSocket-Version: 13\r\n\r\n", status: 400},
		{name: "two keys", req: upgradeReq("/", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="), status: 400},
		{name: "no key", req: "GET / HTTP/1.1\r\nHost: x\r\n" + up + "Sec-WebSocket-Version: 13\r\n\r\n", status: 400},
		{name: "wrong path", opts: Options{Path: "/ws"}, req: upgradeReq("/other"), status: 404},
		{name: "origin refused", opts: Options{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://ok" }},
			req: upgradeReq("/", "Origin: https://evil"), status: 403},
		{name: "origin check panics", opts: Options{CheckOrigin: func(*http.Request) bool { panic("boom") }}, req: upgradeReq("/"), status: 500},
		{name: "head too large", opts: Options{MaxHeaderBytes: 256}, req: upgradeReq("/", "X-Pad: "+strings.Repeat("a", 300)), status: 431},
		{name: "head never ends", opts: Options{MaxHeaderBytes: 256}, req: "GET / HTTP/1.1\r\n" + strings.Repeat("X-Pad: y\r\n", 40), status: 431},
		{name: "garbage", req: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := Raw(tc.opts).NewStream(false, "")
			evs, _ := feed(st, []byte(tc.req))
			require.Len(t, evs, 1, "%+v", evs)
			require.Equal(t, codec.EventClose, evs[0].Kind)
			var he *HandshakeError
			require.ErrorAs(t, evs[0].Err, &he)
			require.ErrorIs(t, evs[0].Err, ErrHandshake)
			require.Equal(t, tc.status, he.Status)
			resp, _ := readAnswer(t, evs[0].Frame)
			require.Equal(t, tc.status, resp.StatusCode)
			require.True(t, resp.Close, "Connection: close")
			if tc.header != "" {
				k, v, _ := strings.Cut(tc.header, ": ")
				require.Equal(t, v, resp.Header.Get(k))
			}
			// Goodbye after the stream ended adds nothing.
			require.Empty(t, st.Goodbye(nil, nil))
		})
	}
}

func TestServerHandshakeAccepts(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       Options
		extra      []string
		protocol   string
		compressed bool
		ext        string
	}{
		{name: "plain"},
		{name: "case-insensitive tokens", extra: []string{"X-Note: upgrade:WebSocket"}},
		{name: "subprotocol: server preference", opts: Options{Protocols: []string{"v2", "v1"}},
			extra: []string{"Sec-WebSocket-Protocol: v1, v2"}, protocol: "v2"},
		{name: "subprotocol: none shared", opts: Options{Protocols: []string{"v3"}},
			extra: []string{"Sec-WebSocket-Protocol: v1, v2"}},
		{name: "deflate offered", opts: Options{Compression: true},
			extra:      []string{"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"},
			compressed: true, ext: deflateAnswer},
		{name: "deflate: first offer unusable, second taken", opts: Options{Compression: true},
			extra:      []string{"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10, permessage-deflate"},
			compressed: true, ext: deflateAnswer},
		{name: "deflate: only unusable offers", opts: Options{Compression: true},
			extra: []string{"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10, x-webkit-deflate-frame"}},
		{name: "deflate: unknown param", opts: Options{Compression: true},
			extra: []string{"Sec-WebSocket-Extensions: permessage-deflate; foo=1"}},
		{name: "deflate offered, not enabled", extra: []string{"Sec-WebSocket-Extensions: permessage-deflate"}},
		{name: "origin accepted", opts: Options{CheckOrigin: func(r *http.Request) bool { return true }}, extra: []string{"Origin: https://ok"}},
		{name: "extra headers", opts: Options{Header: http.Header{"x-server": {"shoal"}, "upgrade": {"nope"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Raw(tc.opts)
			st := c.NewStream(false, "")
			req := upgradeReq("/chat?room=1", tc.extra...)
			// A frame follows the request in the same read: it must be kept.
			in := append([]byte(req), cf(0x81, "hi")...)
			evs, rest := feed(st, in)
			require.Len(t, evs, 3, "%+v", evs)
			require.Empty(t, rest)
			require.Equal(t, codec.EventReply, evs[0].Kind)
			resp, _ := readAnswer(t, evs[0].Frame)
			require.Equal(t, 101, resp.StatusCode)
			require.Equal(t, sampleAccept, resp.Header.Get("Sec-WebSocket-Accept"))
			require.Equal(t, "websocket", resp.Header.Get("Upgrade"))
			require.Equal(t, tc.protocol, resp.Header.Get("Sec-WebSocket-Protocol"))
			require.Equal(t, tc.ext, resp.Header.Get("Sec-WebSocket-Extensions"))
			if tc.opts.Header != nil {
				require.Equal(t, "shoal", resp.Header.Get("X-Server"))
				require.Equal(t, []string{"websocket"}, resp.Header.Values("Upgrade"))
			}

			require.Equal(t, codec.EventOpen, evs[1].Kind)
			up := evs[1].Info.(*Upgrade)
			require.Equal(t, "/chat", up.Request.URL.Path)
			require.Equal(t, "1", up.Request.URL.Query().Get("room"))
			require.Nil(t, up.Response)
			require.Equal(t, tc.protocol, up.Protocol)
			require.Equal(t, tc.compressed, up.Compressed)
			wantClass := classPlain
			if tc.compressed {
				wantClass = classCompressed
			}
			require.Equal(t, wantClass, st.Shared())

			require.Equal(t, rec{Kind: codec.EventMessage, Text: true, Frame: "hi"}, evs[2])
		})
	}
}

func TestServerHTTPHandler(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("bad page")
		case "/missing":
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "page at "+r.URL.Path)
		}
	})
	c := Raw(Options{Path: "/ws", HTTP: page})
	for _, tc := range []struct {
		name, req string
		status    int
		body      string
		err       bool
	}{
		{"GET", "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", 200, "page at /index.html", false},
		{"HEAD", "HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n", 200, "", false},
		{"not found", "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", 404, "404 page not found\n", false},
		{"upgrade on another path", upgradeReq("/other"), 200, "page at /other", false},
		{"panic", "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n", 500, "HTTP handler panicked: bad page\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := feed(c.NewStream(false, ""), []byte(tc.req))
			require.Len(t, evs, 1)
			require.Equal(t, codec.EventClose, evs[0].Kind)
			require.Equal(t, tc.err, evs[0].Err != nil, "%v", evs[0].Err)
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(evs[0].Frame)), &http.Request{Method: strings.Fields(tc.req)[0]})
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			require.Equal(t, tc.status, resp.StatusCode)
			require.Equal(t, tc.body, string(body))
			require.True(t, resp.Close, "Connection: close")
		})
	}
}

func TestServerHandshakeResumesScan(t *testing.T) {
	// The head arrives a byte at a time; the answer is the same, and a
	// long head arriving slowly is not rescanned from the start each time
	// (checked by its result only: same events at every split).
	req := []byte(upgradeReq("/", "X-Pad: "+strings.Repeat("p", 500)))
	want, _ := feed(Raw(Options{}).NewStream(false, ""), req)
	cuts := make([]int, 0, len(req))
	for i := 1; i < len(req); i++ {
		cuts = append(cuts, i)
	}
	got, _ := feed(Raw(Options{}).NewStream(false, ""), req, cuts...)
	require.Equal(t, want[0], got[0])
	require.Equal(t, want[1].Kind, got[1].Kind)
}

func TestNewValidatesOptions(t *testing.T) {
	for _, o := range []Options{
		{MaxMessage: -1},
		{MaxHeaderBytes: -1},
		{CompressThreshold: -1},
		{CompressionLevel: 10},
		{CompressionLevel: -3},
		{Path: "ws"},
		{Protocols: []string{"a b"}},
		{Protocols: []string{""}},
	} {
		for name, build := range map[string]func() (*Codec, error){
			"NewRaw":     func() (*Codec, error) { return NewRaw(o) },
			"NewJSON":    func() (*Codec, error) { return NewJSON(o, Say{}) },
			"NewMsgpack": func() (*Codec, error) { return NewMsgpack(o, Say{}) },
			"New":        func() (*Codec, error) { return New(o, codec.NewJSONSerializer(nil)) },
		} {
			c, err := build()
			require.ErrorIs(t, err, codec.ErrInvalidConfig, "%s(%+v)", name, o)
			require.Nil(t, c)
		}
		requireConfigPanic(t, func() { Raw(o) })
		requireConfigPanic(t, func() { JSON(o, Say{}) })
		requireConfigPanic(t, func() { Msgpack(o, Say{}) })
	}
	c, err := NewRaw(Options{})
	require.NoError(t, err)
	require.Equal(t, DefaultHandshakeTimeout, c.HandshakeTimeout())
	require.Zero(t, Raw(Options{HandshakeTimeout: -1}).HandshakeTimeout())
	require.True(t, c.RawFrames())
	require.False(t, JSON(Options{}, Say{}).RawFrames())
	_, _, err = c.Next([]byte{0x81, 0x80})
	require.True(t, errors.Is(err, ErrNeedsStream))
}

// The typed constructors refuse samples that make no Registry, and New a
// nil Serializer, with the same error kind as bad options.
func TestConstructorsValidateMessages(t *testing.T) {
	for name, build := range map[string]func() (*Codec, error){
		"NewJSON twice":    func() (*Codec, error) { return NewJSON(Options{}, Say{}, &Say{}) },
		"NewMsgpack nil":   func() (*Codec, error) { return NewMsgpack(Options{}, nil) },
		"New nil":          func() (*Codec, error) { return New(Options{}, nil) },
		"NewJSON unnamed":  func() (*Codec, error) { return NewJSON(Options{}, []int{}) },
		"NewMsgpack chans": func() (*Codec, error) { return NewMsgpack(Options{}, codec.Tagged("c", make(chan int))) },
	} {
		c, err := build()
		require.ErrorIs(t, err, codec.ErrInvalidConfig, name)
		require.Nil(t, c, name)
	}
	requireConfigPanic(t, func() { JSON(Options{}, Say{}, Say{}) })
	requireConfigPanic(t, func() { Msgpack(Options{}, nil) })

	c, err := New(Options{}, codec.NewJSONSerializer(codec.MustRegistry(Say{})))
	require.NoError(t, err)
	out, _ := c.Append(nil, []byte("{}"))
	require.Equal(t, byte(0x81), out[0], "a JSON serializer's messages are text frames")
	c, err = New(Options{}, codec.NewMsgpackSerializer(codec.MustRegistry(Say{})))
	require.NoError(t, err)
	out, _ = c.Append(nil, []byte{0x90})
	require.Equal(t, byte(0x82), out[0])
}

// requireConfigPanic checks that f panics with an error wrapping
// codec.ErrInvalidConfig.
func requireConfigPanic(t *testing.T, f func()) {
	t.Helper()
	var p any
	func() {
		defer func() { p = recover() }()
		f()
	}()
	err, _ := p.(error)
	require.ErrorIs(t, err, codec.ErrInvalidConfig, "panic value %v", p)
}

// Say is a registered message of the serializer tests.
type Say struct{ Text string }
