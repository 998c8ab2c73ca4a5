package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// goingAway is an error that carries a close code, like the runtime's.
type goingAway struct{ error }

func (goingAway) CloseCode() int { return 1001 }

type badCode struct{}

func (badCode) Error() string  { return "bad code" }
func (badCode) CloseCode() int { return 1006 }

func TestGoodbyeCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason error
		code   int
	}{
		{"clean", nil, 1000},
		{"CloseError", &CloseError{Code: 4000}, 4000},
		{"CloseError with a code that cannot be sent", &CloseError{Code: 1005}, 1011},
		{"wrapped CloseCode method", fmt.Errorf("stop: %w", goingAway{io.EOF}), 1001},
		{"CloseCode that cannot be sent", badCode{}, 1011},
		{"unknown message tag", &codec.UnknownTagError{Tag: "x", Codec: "json"}, 1003},
		{"malformed message", &codec.MalformedError{Codec: "json", Err: io.ErrUnexpectedEOF}, 1007},
		{"other error", errors.New("boom"), 1011},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openServer(t, Raw(Options{}))
			out := st.Goodbye([]byte("x"), tc.reason)
			require.Equal(t, "x", string(out[:1]))
			require.Equal(t, tc.code, closeCodeOf(t, string(out[1:])))
			require.Empty(t, st.Goodbye(nil, tc.reason), "one close frame only")
			_, err := st.AppendMessage(nil, nil, []byte(nil))
			require.ErrorIs(t, err, ErrClosed)

			_, cli := pair(t, Raw(Options{}), Raw(Options{}))
			out = cli.Goodbye(nil, tc.reason)
			require.Equal(t, byte(0x82), out[1], "masked")
			require.Equal(t, tc.code, closeCodeOf(t, string(out)))
		})
	}
}

func TestGoodbyeBeforeHandshake(t *testing.T) {
	require.Empty(t, Raw(Options{}).NewStream(false, "").Goodbye(nil, errors.New("timeout")))
	require.Empty(t, Raw(Options{}).NewStream(true, "ws://h/").Goodbye(nil, nil))
}

func TestAfterGoodbyeReadsUntilPeerClose(t *testing.T) {
	st := openServer(t, Raw(Options{}))
	require.NotEmpty(t, st.Goodbye(nil, nil))
	evs, _ := feed(st, join(cf(0x81, "late"), cf(0x89, "ping"), cf(0x88, closePayload(1000, ""))))
	require.Equal(t, []rec{{Kind: codec.EventClose}}, evs, "messages and pings after our close are dropped; no second close frame")

	st = openServer(t, Raw(Options{}))
	st.Goodbye(nil, &CloseError{Code: 4000})
	evs, _ = feed(st, cf(0x88, closePayload(4000, "")))
	require.Equal(t, []rec{{Kind: codec.EventClose}}, evs, "the peer echoing our code completes our close: no error")
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&CloseError{Code: 1002, Reason: "reserved bits set"}, "websocket: closing with 1002 (protocol error): reserved bits set"},
		{&CloseError{Code: 4001, Remote: true}, "websocket: peer closed with 4001 (application code)"},
		{&HandshakeError{Status: 404, Reason: "no endpoint"}, "websocket: handshake: 404 Not Found: no endpoint"},
		{&HandshakeError{Reason: "malformed response"}, "websocket: handshake: malformed response"},
	} {
		require.Equal(t, tc.want, tc.err.Error())
	}
}

// closePayloadOf returns the payload of one close frame, unmasking it.
func closePayloadOf(t testing.TB, b []byte) []byte {
	t.Helper()
	require.Equal(t, byte(0x88), b[0], "close frame %x", b)
	n, h := int(b[1]&0x7f), 2
	require.LessOrEqual(t, n, 125)
	if b[1]&0x80 != 0 {
		p := append([]byte(nil), b[6:6+n]...)
		maskBytes(p, binary.LittleEndian.Uint32(b[2:]))
		return p
	}
	return b[h : h+n]
}

func TestGoodbyeReasonText(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes: cut at a character boundary
	for _, tc := range []struct {
		name   string
		reason error
		want   string
	}{
		{"reason sent", &CloseError{Code: 4000, Reason: "kicked"}, "kicked"},
		{"wrapped", fmt.Errorf("admin: %w", &CloseError{Code: 4001, Reason: "banned"}), "banned"},
		{"cut to fit", &CloseError{Code: 4002, Reason: long}, strings.Repeat("é", 61)},
		{"not UTF-8: no text", &CloseError{Code: 4003, Reason: "\xff"}, ""},
		{"code not sendable: no text", &CloseError{Code: 1005, Reason: "x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ce *CloseError
			require.True(t, errors.As(tc.reason, &ce))
			wantCode := ce.Code
			if !codeCanBeSent(wantCode) {
				wantCode = CloseInternalError
			}
			st := openServer(t, Raw(Options{}))
			p := closePayloadOf(t, st.Goodbye(nil, tc.reason))
			require.Equal(t, wantCode, int(binary.BigEndian.Uint16(p)))
			require.Equal(t, tc.want, string(p[2:]))
			require.True(t, utf8.Valid(p[2:]))

			_, cli := pair(t, Raw(Options{}), Raw(Options{}))
			p = closePayloadOf(t, cli.Goodbye(nil, tc.reason))
			require.Equal(t, wantCode, int(binary.BigEndian.Uint16(p)))
			require.Equal(t, tc.want, string(p[2:]))
		})
	}
}

// pingTyped is a registered message of TestPingFrames's typed codec.
type pingTyped struct{ A int }

func TestPingFrames(t *testing.T) {
	c := Raw(Options{Compression: true, CompressThreshold: 1})
	srv, cli := pair(t, c, c)
	out, err := srv.AppendMessage(nil, []byte("hb"), Ping("hb"))
	require.NoError(t, err)
	require.Equal(t, []byte{0x89, 2, 'h', 'b'}, out, "a ping is never compressed")
	out, err = cli.AppendMessage(nil, []byte("hb"), Ping("hb"))
	require.NoError(t, err)
	require.Equal(t, byte(0x89), out[0])
	require.Equal(t, byte(0x82), out[1], "masked, 2 bytes")
	_, err = srv.AppendMessage(nil, make([]byte, 126), Ping(nil))
	require.ErrorIs(t, err, ErrPingTooLong)
	b, err := JSON(Options{}, pingTyped{}).Marshal(nil, Ping("x"))
	require.NoError(t, err, "a typed codec writes pings too")
	require.Equal(t, "x", string(b))
	_, err = c.Marshal(nil, Ping(make([]byte, 200)))
	require.ErrorIs(t, err, ErrPingTooLong)
}
