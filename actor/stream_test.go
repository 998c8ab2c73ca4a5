package actor_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// greet is a toy stream protocol that exercises everything the runtime does
// for a codec.StreamCodec, without WebSocket's details: a line handshake
// ("HELLO name" answered "WELCOME name"; anything else "NO" and a close),
// protocol-answered pings, a protocol close ("BYE"), and per-kind framing
// ("T payload" for text, "B payload" for binary). Goodbye writes
// "GOODBYE code", the code taken from the reason's CloseCode method.
type greet struct {
	timeout time.Duration
}

var errGreet = errors.New("greet: bad handshake")

func (g *greet) Next(in []byte) ([]byte, int, error) { return codec.Line().Next(in) }
func (g *greet) Append(dst, p []byte) ([]byte, error) {
	return append(append(append(dst, "B "...), p...), '\n'), nil
}
func (g *greet) Unmarshal(frame []byte) (any, error) { return frame, nil }
func (g *greet) Marshal(dst []byte, msg any) ([]byte, error) {
	return codec.Bytes(codec.Raw()).Marshal(dst, msg)
}
func (g *greet) RawFrames() bool                 { return true }
func (g *greet) HandshakeTimeout() time.Duration { return g.timeout }
func (g *greet) AppendShared(dst, p []byte, msg any, class int) ([]byte, error) {
	return frameGreet(dst, p, msg), nil
}
func (g *greet) NewStream(client bool, target string) codec.Stream {
	return &greetStream{client: client, target: target}
}

func frameGreet(dst, p []byte, msg any) []byte {
	kind := "B "
	switch msg.(type) {
	case codec.Text, string:
		kind = "T "
	}
	return append(append(append(dst, kind...), p...), '\n')
}

type greetStream struct {
	client  bool
	target  string
	open    bool
	opening string // the server answered a HELLO; EventOpen comes next
	bye     bool
	out     []byte
}

func (s *greetStream) Next(in []byte) (codec.Event, int) {
	if s.opening != "" {
		name := s.opening
		s.opening = ""
		return codec.Event{Kind: codec.EventOpen, Info: name}, 0
	}
	i := bytes.IndexByte(in, '\n')
	if i < 0 {
		return codec.Event{}, 0
	}
	line, n := string(in[:i]), i+1
	switch {
	case !s.open && !s.client && strings.HasPrefix(line, "HELLO "):
		s.open, s.opening = true, line[6:]
		s.out = append(append(s.out[:0], "WELCOME "...), line[6:]+"\n"...)
		return codec.Event{Kind: codec.EventReply, Frame: s.out}, n
	case !s.open && s.client && strings.HasPrefix(line, "WELCOME "):
		s.open = true
		return codec.Event{Kind: codec.EventOpen, Info: line[8:]}, n
	case !s.open:
		s.bye = true
		return codec.Event{Kind: codec.EventClose, Frame: []byte("NO\n"), Err: errGreet}, n
	case line == "PING":
		return codec.Event{Kind: codec.EventReply, Frame: []byte("PONG\n")}, n
	case line == "BYE":
		s.bye = true
		return codec.Event{Kind: codec.EventClose, Frame: []byte("BYE\n")}, n
	case strings.HasPrefix(line, "T "):
		return codec.Event{Kind: codec.EventMessage, Text: true, Frame: in[2:i]}, n
	case strings.HasPrefix(line, "B "):
		return codec.Event{Kind: codec.EventMessage, Frame: in[2:i]}, n
	}
	return codec.Event{}, n // ignored line
}

func (s *greetStream) AppendMessage(dst, p []byte, msg any) ([]byte, error) {
	return frameGreet(dst, p, msg), nil
}

func (s *greetStream) Hello(dst []byte) []byte {
	if s.client {
		return append(dst, "HELLO client\n"...)
	}
	return dst
}

func (s *greetStream) Goodbye(dst []byte, reason error) []byte {
	if s.bye || !s.open {
		return dst
	}
	s.bye = true
	code := 0
	var cc interface{ CloseCode() int }
	if errors.As(reason, &cc) {
		code = cc.CloseCode()
	}
	return fmt.Appendf(dst, "GOODBYE %d\n", code)
}

func (s *greetStream) Shared() int {
	if s.client {
		return -1
	}
	return 0
}
func (s *greetStream) Release() {}

// greetEcho echoes every message with its kind; "close" closes with a reason.
func greetEcho(p *probe) actor.Factory {
	p.onMsg = func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case codec.Text:
			if string(m) == "close" {
				ctx.CloseWith(errors.New("asked to"))
				return
			}
			ctx.Write(m)
		case []byte:
			ctx.Write(m)
		}
	}
	return p.factory
}

func TestStreamHandshakeMessagesAndProtocolClose(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "tcp://127.0.0.1:0", &greet{}, greetEcho(p))

	// A refused handshake gets the protocol's answer and a close; no actor
	// ever sees it.
	conn := dial(t, l.Addr())
	r := bufio.NewReader(conn)
	_, err := io.WriteString(conn, "B early\n")
	require.NoError(t, err)
	require.Equal(t, "NO", readLine(t, r))
	_, err = r.ReadByte()
	requireClosed(t, err)

	// The handshake answer comes first, then Opened with what the handshake
	// learnt; bytes after the handshake in the same read are messages.
	conn = dial(t, l.Addr())
	r = bufio.NewReader(conn)
	_, err = io.WriteString(conn, "HELLO ann\nT hi\nPING\nB bin\n")
	require.NoError(t, err)
	require.Equal(t, "WELCOME ann", readLine(t, r))
	require.Equal(t, "T hi", readLine(t, r), "a text message is echoed as text")
	require.Equal(t, "PONG", readLine(t, r), "the protocol answers pings itself")
	require.Equal(t, "B bin", readLine(t, r), "a binary message is echoed as binary")

	ev := p.next(t, func(m any) bool { return isOpened(m) || isClosed(m) })
	require.Equal(t, actor.Opened{Info: "ann"}, ev.msg, "the refused connection never opened an actor")
	require.Equal(t, codec.Text("hi"), p.next(t, func(m any) bool { _, ok := m.(codec.Text); return ok }).msg)

	// The peer's protocol close: its last bytes, then a clean Closed.
	_, err = io.WriteString(conn, "BYE\n")
	require.NoError(t, err)
	require.Equal(t, "BYE", readLine(t, r))
	_, err = r.ReadByte()
	requireClosed(t, err)
	closed := p.next(t, isClosed)
	require.Equal(t, ev.id, closed.id)
	require.NoError(t, closed.msg.(actor.Closed).Err)
}

func TestStreamGoodbye(t *testing.T) {
	p := newProbe()
	sys, l := startSystem(t, "tcp://127.0.0.1:0", &greet{}, greetEcho(p))

	// An actor's close with a reason: the stream's goodbye goes out first.
	conn := dial(t, l.Addr())
	r := bufio.NewReader(conn)
	_, err := io.WriteString(conn, "HELLO bob\nT close\n")
	require.NoError(t, err)
	require.Equal(t, "WELCOME bob", readLine(t, r))
	require.Equal(t, "GOODBYE 0", readLine(t, r))
	_, err = r.ReadByte()
	requireClosed(t, err)
	require.EqualError(t, p.next(t, isClosed).msg.(actor.Closed).Err, "asked to")

	// Stopping the system says "going away" (1001) to every open stream.
	conn = dial(t, l.Addr())
	r = bufio.NewReader(conn)
	_, err = io.WriteString(conn, "HELLO cy\n")
	require.NoError(t, err)
	require.Equal(t, "WELCOME cy", readLine(t, r))
	p.next(t, isOpened)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, sys.Stop(ctx))
	require.Equal(t, "GOODBYE 1001", readLine(t, r))
	require.ErrorIs(t, p.next(t, isClosed).msg.(actor.Closed).Err, actor.ErrShutdown)
}

func TestStreamHandshakeTimeout(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "tcp://127.0.0.1:0", &greet{timeout: 50 * time.Millisecond}, greetEcho(p))
	conn := dial(t, l.Addr())
	_, err := io.WriteString(conn, "HEL") // and never the rest
	require.NoError(t, err)
	_, err = bufio.NewReader(conn).ReadByte()
	requireClosed(t, err, "a handshake that never ends is closed")
	require.Eventually(t, func() bool { return l.Open() == 0 }, waitFor, time.Millisecond)
	select {
	case e := <-p.events:
		t.Fatalf("an actor saw %#v for a connection that never finished its handshake", e.msg)
	default:
	}
}

func TestStreamDialAndBroadcast(t *testing.T) {
	srv := newProbe()
	sys, l := startSystem(t, "tcp://127.0.0.1:0", &greet{}, greetEcho(srv))
	srv.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.Join("all")
		}
	}

	cli := newProbe()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	id, err := sys.Dial(ctx, "tcp://"+l.Addr().String(), &greet{}, cli.factory)
	require.NoError(t, err)
	opened := cli.next(t, isOpened)
	require.Equal(t, id, opened.id)
	require.Equal(t, "client", opened.msg.(actor.Opened).Info, "the dialled side opens once the server welcomed it")
	srv.next(t, isOpened)

	// A broadcast reaches the server side (shared framing) as text.
	require.NoError(t, sys.Broadcast("all", codec.Text("news")))
	require.Equal(t, codec.Text("news"), cli.next(t, func(m any) bool { _, ok := m.(codec.Text); return ok }).msg)

	// A server that refuses the handshake makes Dial fail with the reason.
	raw := newProbe()
	_, rl := startSystem(t, "tcp://127.0.0.1:0", codec.Bytes(codec.Line()), func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if _, ok := ctx.Message().([]byte); ok {
				ctx.WriteBytes([]byte("NO"))
			}
		})
	})
	_ = raw
	_, err = sys.Dial(ctx, "tcp://"+rl.Addr().String(), &greet{}, cli.factory)
	require.ErrorIs(t, err, errGreet)
}

// A connection still in its handshake when the system stops is closed
// without a goodbye (its protocol never began) and Stop does not wait for it.
func TestStreamStopWithPendingHandshake(t *testing.T) {
	p := newProbe()
	sys, l := startSystem(t, "tcp://127.0.0.1:0", &greet{}, greetEcho(p))
	conn := dial(t, l.Addr())
	_, err := io.WriteString(conn, "HEL")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return l.Open() == 1 }, waitFor, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, sys.Stop(ctx))
	n, err := conn.Read(make([]byte, 16))
	require.Zero(t, n, "nothing is written to a connection that never finished its handshake")
	requireClosed(t, err)
}
