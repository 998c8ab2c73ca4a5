package websocket

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// listen serves every connection to a loopback listener with a server
// stream of c (echoing) and returns its address and the drivers' reports.
func listen(t *testing.T, c *Codec) (string, <-chan []rec) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	reports := make(chan []rec, 16)
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { reports <- <-serveStream(conn, c.NewStream(false, ""), true, nil, nil) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-accepted
	})
	return ln.Addr().String(), reports
}

// report waits for one driver's report.
func report(t *testing.T, reports <-chan []rec) []rec {
	t.Helper()
	select {
	case r := <-reports:
		return r
	case <-time.After(2 * driverTimeout):
		t.Fatal("no report from the driver")
		return nil
	}
}

func TestServerStreamWithGorillaClient(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compression=%v", compress), func(t *testing.T) {
			addr, reports := listen(t, Raw(Options{Path: "/echo", Compression: compress, CompressThreshold: 16, Protocols: []string{"chat"}}))
			d := &gorilla.Dialer{HandshakeTimeout: driverTimeout, EnableCompression: compress, Subprotocols: []string{"x", "chat"}}
			conn, resp, err := d.Dial("ws://"+addr+"/echo?id=7", nil)
			require.NoError(t, err)
			defer conn.Close()
			require.Equal(t, "chat", resp.Header.Get("Sec-WebSocket-Protocol"))
			require.Equal(t, compress, resp.Header.Get("Sec-WebSocket-Extensions") != "")
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(driverTimeout)))

			for _, m := range []struct {
				kind int
				data string
			}{
				{gorilla.TextMessage, "hello"},
				{gorilla.BinaryMessage, "\x00\x01\x02binary"},
				{gorilla.TextMessage, "héllo wörld " + strings.Repeat("ab", 100)},
				{gorilla.BinaryMessage, strings.Repeat("x", 70000)},
				{gorilla.TextMessage, ""},
			} {
				require.NoError(t, conn.WriteMessage(m.kind, []byte(m.data)))
				kind, data, err := conn.ReadMessage()
				require.NoError(t, err)
				require.Equal(t, m.kind, kind)
				require.Equal(t, m.data, string(data))
			}

			// A fragmented message (NextWriter flushes a frame per buffer).
			w, err := conn.NextWriter(gorilla.TextMessage)
			require.NoError(t, err)
			var want strings.Builder
			for i := range 3000 {
				fmt.Fprintf(w, "part%d;", i)
				fmt.Fprintf(&want, "part%d;", i)
			}
			require.NoError(t, w.Close())
			_, data, err := conn.ReadMessage()
			require.NoError(t, err)
			require.Equal(t, want.String(), string(data))

			// Ping → pong.
			pong := make(chan string, 1)
			conn.SetPongHandler(func(s string) error { pong <- s; return nil })
			require.NoError(t, conn.WriteControl(gorilla.PingMessage, []byte("are you there"), time.Now().Add(driverTimeout)))
			require.NoError(t, conn.WriteMessage(gorilla.TextMessage, []byte("after ping")))
			_, data, err = conn.ReadMessage() // runs the pong handler first
			require.NoError(t, err)
			require.Equal(t, "after ping", string(data))
			require.Equal(t, "are you there", <-pong)

			// Close handshake with a code: echoed, and the server's reason.
			require.NoError(t, conn.WriteControl(gorilla.CloseMessage, gorilla.FormatCloseMessage(4001, "bye"), time.Now().Add(driverTimeout)))
			_, _, err = conn.ReadMessage()
			var ce *gorilla.CloseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, 4001, ce.Code)

			evs := report(t, reports)
			require.Equal(t, codec.EventOpen, evs[0].Kind)
			up := evs[0].Info.(*Upgrade)
			require.Equal(t, "7", up.Request.URL.Query().Get("id"))
			require.Equal(t, compress, up.Compressed)
			last := evs[len(evs)-1]
			require.Equal(t, codec.EventClose, last.Kind)
			require.Equal(t, &CloseError{Code: 4001, Reason: "bye", Remote: true}, last.Err)
		})
	}
}

func TestServerStreamRefusesGorillaOnWrongPath(t *testing.T) {
	addr, reports := listen(t, Raw(Options{Path: "/echo"}))
	_, resp, err := (&gorilla.Dialer{HandshakeTimeout: driverTimeout}).Dial("ws://"+addr+"/nope", nil)
	require.Error(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	evs := report(t, reports)
	require.ErrorIs(t, evs[len(evs)-1].Err, ErrHandshake)
}

func TestClientStreamWithGorillaServer(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compression=%v", compress), func(t *testing.T) {
			up := gorilla.Upgrader{EnableCompression: compress, Subprotocols: []string{"chat"}}
			closed := make(chan error, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := up.Upgrade(w, r, nil)
				if err != nil {
					closed <- err
					return
				}
				defer c.Close()
				c.EnableWriteCompression(compress)
				_ = c.SetReadDeadline(time.Now().Add(driverTimeout))
				for {
					kind, data, err := c.ReadMessage()
					if err != nil {
						closed <- err
						return
					}
					if c.WriteMessage(kind, append([]byte("echo:"), data...)) != nil {
						closed <- err
						return
					}
				}
			}))
			defer srv.Close()

			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			require.NoError(t, err)
			c := Raw(Options{Compression: compress, CompressThreshold: 8, Protocols: []string{"chat"}})
			send, live := make(chan any, 8), make(chan rec, 64)
			done := serveStream(conn, c.NewStream(true, "ws://"+strings.TrimPrefix(srv.URL, "http://")+"/feed"), false, send, live)
			long := strings.Repeat("compressible ", 2000)
			send <- codec.Text("hi")
			send <- []byte{1, 2, 3}
			send <- codec.Text(long)
			send <- []byte(strings.Repeat("\x07", 70000))

			// Wait for the four echoes, then close.
			deadline := time.After(2 * driverTimeout)
			for got := 0; got < 4; {
				select {
				case e := <-live:
					if e.Kind == codec.EventMessage {
						got++
					}
				case <-deadline:
					t.Fatal("no echoes")
				}
			}
			send <- goodbye{&CloseError{Code: 4002}}
			var evs []rec
			select {
			case evs = <-done:
			case <-deadline:
				t.Fatal("driver did not end")
			}
			var serr error
			select {
			case serr = <-closed:
			case <-deadline:
				t.Fatal("gorilla server did not end")
			}
			var ce *gorilla.CloseError
			require.ErrorAs(t, serr, &ce)
			require.Equal(t, 4002, ce.Code)

			require.Equal(t, codec.EventOpen, evs[0].Kind, "%+v", evs[0])
			u := evs[0].Info.(*Upgrade)
			require.Equal(t, "chat", u.Protocol)
			require.Equal(t, compress, u.Compressed)
			var msgs []rec
			for _, e := range evs {
				if e.Kind == codec.EventMessage {
					msgs = append(msgs, e)
				}
			}
			require.Equal(t, []rec{
				{Kind: codec.EventMessage, Text: true, Frame: "echo:hi"},
				{Kind: codec.EventMessage, Frame: "echo:\x01\x02\x03"},
				{Kind: codec.EventMessage, Text: true, Frame: "echo:" + long},
				{Kind: codec.EventMessage, Frame: "echo:" + strings.Repeat("\x07", 70000)},
			}, msgs)
			require.Equal(t, rec{Kind: codec.EventClose}, evs[len(evs)-1], "the server echoed our close")
		})
	}
}
