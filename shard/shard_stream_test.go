package shard

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/stretchr/testify/require"
)

// A connection of a stream codec (WebSocket) stays pending through its
// handshake: the shard has adopted it but Handler.Open comes only once the
// upgrade is done, with what it learnt (the request), and then messages
// arrive and writes go out framed by the stream.
func TestStreamOpensAfterHandshake(t *testing.T) {
	rec := newRecorder()
	set := newFakeSet(t, 1, rec, &hooks{
		receive: func(s *Shard, c *Conn, _ uint64, msg any) {
			if err := s.WriteMessage(c, msg); err != nil {
				rec.add(event{kind: "error", err: err})
			}
		},
	})
	l := listen(t, set, "tcp", websocket.Raw(websocket.Options{}), Limits{})
	start(t, set)
	nc := dial(t, l)
	const (
		head = "GET /chat?room=1 HTTP/1.1\r\nHost: shoal.test\r\n"
		rest = "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	)
	if _, err := io.WriteString(nc, head); err != nil {
		t.Fatal(err)
	}
	s := set.Shards()[0]
	require.Eventually(t, func() bool { return s.conns.Load() == 1 }, waitFor, time.Millisecond, "the socket adopted")
	if opens := rec.of("open"); len(opens) != 0 {
		t.Fatalf("Open before the handshake: %+v", opens)
	}
	if _, err := io.WriteString(nc, rest); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("handshake answer %s %v", resp.Status, resp.Header)
	}
	open := rec.waitCount(t, "open", 1)[0]
	up, ok := open.info.(*websocket.Upgrade)
	if !ok || up.Request == nil || up.Request.URL.Path != "/chat" || up.Request.URL.Query().Get("room") != "1" {
		t.Fatalf("Open info %#v, want the upgrade request of /chat?room=1", open.info)
	}
	if got := rec.of("receive"); len(got) != 0 {
		t.Fatalf("messages before any frame: %+v", got)
	}

	for _, m := range []string{"hello", "world"} {
		if _, err := nc.Write(maskedText(m)); err != nil {
			t.Fatal(err)
		}
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(r, hdr); err != nil {
			t.Fatal(err)
		}
		if hdr[0] != 0x81 || int(hdr[1]) != len(m) { // FIN text, unmasked
			t.Fatalf("frame header % x for %q", hdr, m)
		}
		body := make([]byte, len(m))
		if _, err := io.ReadFull(r, body); err != nil || string(body) != m {
			t.Fatalf("echo %q, %v; want %q", body, err, m)
		}
	}
	got := rec.waitCount(t, "receive", 2)
	for i, m := range []string{"hello", "world"} {
		if txt, ok := got[i].msg.(codec.Text); !ok || string(txt) != m {
			t.Fatalf("message %d: %#v, want codec.Text %q", i, got[i].msg, m)
		}
	}
	if errs := rec.of("error"); len(errs) > 0 {
		t.Fatal(errs[0].err)
	}
}

// A stream connection that never finishes its handshake is never opened,
// so its end is not the handler's either: no Closed.
func TestStreamPendingNeverOpened(t *testing.T) {
	rec := newRecorder()
	set := newFakeSet(t, 1, rec, nil)
	l := listen(t, set, "tcp", websocket.Raw(websocket.Options{}), Limits{})
	start(t, set)
	nc := dial(t, l)
	if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	s := set.Shards()[0]
	require.Eventually(t, func() bool { return s.conns.Load() == 1 }, waitFor, time.Millisecond, "the socket adopted")
	nc.Close()
	require.Eventually(t, func() bool { return s.conns.Load() == 0 }, waitFor, time.Millisecond, "the socket closed")
	stop(t, set)
	if evs := rec.snapshot(); len(evs) != 0 {
		t.Fatalf("handler called for a connection never opened: %+v", evs)
	}
}

// maskedText is one client text frame of m (under 126 bytes), masked as a
// client must.
func maskedText(m string) []byte {
	mask := [4]byte{0x11, 0x22, 0x33, 0x44}
	b := []byte{0x81, 0x80 | byte(len(m)), mask[0], mask[1], mask[2], mask[3]}
	for i := 0; i < len(m); i++ {
		b = append(b, m[i]^mask[i%4])
	}
	return b
}
