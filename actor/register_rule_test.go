package actor_test

import (
	"bufio"
	"io"
	"net"
	"reflect"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
)

// Messages of the register-rule tests: Enter is registered as a value,
// Shout as a pointer.
type (
	Enter struct{ Room string }
	Shout struct{ Text string }
)

// ruleSamples registers Enter as a value and Shout as a pointer.
var ruleSamples = []any{Enter{}, &Shout{}}

// ruleEcho's actors write back every Enter or *Shout they receive; the
// probe records what they received.
func ruleEcho(p *probe) actor.Factory {
	p.onMsg = func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case Enter, *Shout:
			ctx.Write(m)
		}
	}
	return p.factory
}

// isRuleMsg matches the messages the register-rule tests send, in either
// form: anything else the probe records (Opened, ...) is skipped.
func isRuleMsg(m any) bool {
	switch m.(type) {
	case Enter, *Enter, Shout, *Shout:
		return true
	}
	return false
}

// What you register is what you receive, through a real connection: a
// peer writes each message in both forms, and the actor receives Enter{}
// as an Enter and &Shout{} as a *Shout either way; what the actor writes
// back decodes the same way on the peer's side.
func TestRegisteredFormReachesTheActor(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    codec.Codec
	}{
		{"msgpack", codec.Msgpack(codec.LengthField(4), ruleSamples...)},
		{"json", codec.JSON(codec.Line(), ruleSamples...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProbe()
			_, l := startSystem(t, "tcp://127.0.0.1:0", tc.c, ruleEcho(p))
			conn, err := net.Dial("tcp", l.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(waitFor)))
			peer := bufio.NewReader(conn)

			for _, m := range ruleSends() {
				payload, err := tc.c.Marshal(nil, m.sent)
				require.NoError(t, err)
				frame, err := tc.c.Append(nil, payload)
				require.NoError(t, err)
				_, err = conn.Write(frame)
				require.NoError(t, err)

				got := p.next(t, isRuleMsg).msg
				require.Equal(t, reflect.TypeOf(m.want), reflect.TypeOf(got), "sent %T", m.sent)
				require.Equal(t, m.want, got)

				back := readFrame(t, tc.c, peer)
				msg, err := tc.c.Unmarshal(back)
				require.NoError(t, err)
				require.Equal(t, m.want, msg, "the peer decodes the echo by the same rule")
			}
		})
	}
}

// The same through a WebSocket listener, with a browser-like client.
func TestRegisteredFormReachesTheActorOverWebSocket(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    *websocket.Codec
		kind int
	}{
		{"json", websocket.JSON(websocket.Options{Compression: true}, ruleSamples...), gorilla.TextMessage},
		{"msgpack", websocket.Msgpack(websocket.Options{}, ruleSamples...), gorilla.BinaryMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProbe()
			_, l := startSystem(t, "tcp://127.0.0.1:0", tc.c, ruleEcho(p))
			conn := wsDial(t, l, "/", &gorilla.Dialer{HandshakeTimeout: waitFor, EnableCompression: true})
			for _, m := range ruleSends() {
				payload, err := tc.c.Marshal(nil, m.sent)
				require.NoError(t, err)
				require.NoError(t, conn.WriteMessage(tc.kind, payload))

				got := p.next(t, isRuleMsg).msg
				require.Equal(t, reflect.TypeOf(m.want), reflect.TypeOf(got), "sent %T", m.sent)
				require.Equal(t, m.want, got)

				kind, back, err := conn.ReadMessage()
				require.NoError(t, err)
				require.Equal(t, tc.kind, kind)
				msg, err := tc.c.Unmarshal(back)
				require.NoError(t, err)
				require.Equal(t, m.want, msg)
			}
		})
	}
}

// ruleSends lists each message in both forms, with what must arrive.
func ruleSends() []struct{ sent, want any } {
	return []struct{ sent, want any }{
		{Enter{Room: "a"}, Enter{Room: "a"}},
		{&Enter{Room: "b"}, Enter{Room: "b"}},
		{Shout{Text: "c"}, &Shout{Text: "c"}},
		{&Shout{Text: "d"}, &Shout{Text: "d"}},
	}
}

// readFrame reads one frame of c from r, a byte at a time until c's framer
// has a whole one.
func readFrame(t *testing.T, c codec.Codec, r *bufio.Reader) []byte {
	t.Helper()
	var buf []byte
	for {
		if frame, n, err := c.Next(buf); err != nil || n > 0 {
			require.NoError(t, err)
			require.Equal(t, len(buf), n, "one frame at a time")
			return frame
		}
		b, err := r.ReadByte()
		if err == io.EOF {
			t.Fatalf("connection closed after %d bytes of a frame", len(buf))
		}
		require.NoError(t, err)
		buf = append(buf, b)
	}
}
