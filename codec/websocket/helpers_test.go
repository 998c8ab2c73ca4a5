package websocket

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// upgradeReq is a valid upgrade request (the RFC 6455 sample key) for path.
func upgradeReq(path string, extra ...string) string {
	s := "GET " + path + " HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, e := range extra {
		s += e + "\r\n"
	}
	return s + "\r\n"
}

// sampleAccept is the accept value of the sample key.
const sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

// frame builds one frame: b0 is FIN|RSV|opcode; masked with a fixed key.
func frame(b0 byte, masked bool, payload []byte) []byte {
	out := []byte{b0}
	m := byte(0)
	if masked {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		out = append(out, m|byte(n))
	case n < 1<<16:
		out = append(out, m|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, m|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// cf is a masked client frame, sf an unmasked server frame.
func cf(b0 byte, payload string) []byte { return frame(b0, true, []byte(payload)) }
func sf(b0 byte, payload string) []byte { return frame(b0, false, []byte(payload)) }

// closePayload is a close frame payload: code and reason.
func closePayload(code int, reason string) string {
	return string(binary.BigEndian.AppendUint16(nil, uint16(code))) + reason
}

// rec is an event with its bytes copied (events alias the input).
type rec struct {
	Kind  codec.EventKind
	Text  bool
	Frame string
	Info  any
	Err   error
}

// feed drives st like a shard: the bytes of data arrive in pieces cut at
// cuts; after each piece Next runs until it needs more. It returns the
// events (stopping at EventClose) and the bytes left unconsumed.
func feed(st codec.Stream, data []byte, cuts ...int) ([]rec, []byte) {
	var buf []byte
	var out []rec
	pos := 0
	for _, cut := range append(cuts, len(data)) {
		buf = append(buf, data[pos:cut]...)
		pos = cut
		for {
			ev, n := st.Next(buf)
			buf = buf[n:]
			if ev.Kind == codec.EventNone {
				if n == 0 {
					break
				}
				continue
			}
			out = append(out, rec{Kind: ev.Kind, Text: ev.Text, Frame: string(ev.Frame), Info: ev.Info, Err: ev.Err})
			if ev.Kind == codec.EventClose {
				return out, buf
			}
		}
	}
	return out, buf
}

// openServer returns a server stream of c past its handshake.
func openServer(t testing.TB, c *Codec, extra ...string) codec.Stream {
	t.Helper()
	st := c.NewStream(false, "")
	evs, rest := feed(st, []byte(upgradeReq("/", extra...)))
	require.Len(t, evs, 2, "%+v", evs)
	require.Equal(t, codec.EventReply, evs[0].Kind)
	require.Equal(t, codec.EventOpen, evs[1].Kind)
	require.Empty(t, rest)
	return st
}

// pair returns a client stream of cc connected to a server stream of sc,
// both past the handshake.
func pair(t testing.TB, sc, cc *Codec) (srv, cli codec.Stream) {
	t.Helper()
	srv, cli = sc.NewStream(false, ""), cc.NewStream(true, "ws://example.com/chat?x=1")
	evs, _ := feed(srv, cli.Hello(nil))
	require.Len(t, evs, 2, "%+v", evs)
	require.Equal(t, codec.EventReply, evs[0].Kind)
	cevs, rest := feed(cli, []byte(evs[0].Frame))
	require.Len(t, cevs, 1, "%+v", cevs)
	require.Equal(t, codec.EventOpen, cevs[0].Kind, "%+v", cevs[0].Err)
	require.Empty(t, rest)
	return srv, cli
}

// closeCodeOf returns the code of a close frame (unmasking a client's).
func closeCodeOf(t testing.TB, f string) int {
	t.Helper()
	b := []byte(f)
	require.GreaterOrEqual(t, len(b), 4, "close frame %x", b)
	require.Equal(t, byte(0x88), b[0], "close frame %x", b)
	h := 2
	if b[1]&0x80 != 0 {
		maskBytes(b[6:], binary.LittleEndian.Uint32(b[2:]))
		h = 6
	}
	require.Equal(t, 2, int(b[1]&0x7f))
	return int(binary.BigEndian.Uint16(b[h:]))
}

// errCode returns the code of a *CloseError err, or 0.
func errCode(err error) (int, bool) {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code, ce.Remote
	}
	return 0, false
}
