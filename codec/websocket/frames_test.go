package websocket

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// join concatenates frames.
func join(fs ...[]byte) []byte { return bytes.Join(fs, nil) }

func TestServerProtocolViolations(t *testing.T) {
	big := strings.Repeat("x", 2000)
	len64 := func(n uint64) []byte { // a masked binary header with a 64-bit length
		return binary.BigEndian.AppendUint64([]byte{0x82, 0x80 | 127}, n)
	}
	for _, tc := range []struct {
		name   string
		opts   Options
		in     []byte
		code   int
		remote bool // the close code came from the peer
	}{
		{name: "unmasked client frame", in: sf(0x82, "x"), code: 1002},
		{name: "reserved data opcode", in: cf(0x83, "x"), code: 1002},
		{name: "reserved control opcode", in: cf(0x8b, ""), code: 1002},
		{name: "RSV1 without deflate", in: cf(0xc2, "x"), code: 1002},
		{name: "RSV2", in: cf(0xa2, "x"), code: 1002},
		{name: "RSV3", in: cf(0x92, "x"), code: 1002},
		{name: "fragmented ping", in: cf(0x09, "p"), code: 1002},
		{name: "ping over 125 bytes", in: cf(0x89, strings.Repeat("p", 126)), code: 1002},
		{name: "close over 125 bytes", in: cf(0x88, closePayload(1000, strings.Repeat("r", 124))), code: 1002},
		{name: "continuation without a start", in: cf(0x80, "x"), code: 1002},
		{name: "new message inside a fragmented one", in: join(cf(0x01, "a"), cf(0x81, "b")), code: 1002},
		{name: "text not UTF-8", in: cf(0x81, "\xff\xfe"), code: 1007},
		{name: "text with a surrogate", in: cf(0x81, "\xed\xa0\x80"), code: 1007},
		{name: "text cut mid-character", in: cf(0x81, "caf\xc3"), code: 1007},
		{name: "invalid UTF-8 fails at its fragment", in: cf(0x01, "ok\xff"), code: 1007},
		{name: "invalid UTF-8 across fragments", in: join(cf(0x01, "\xe2\x82"), cf(0x80, "\x28")), code: 1007},
		{name: "fragmented text ends mid-character", in: join(cf(0x01, "ok"), cf(0x80, "\xe2\x82")), code: 1007},
		{name: "frame over MaxMessage", opts: Options{MaxMessage: 1024}, in: cf(0x82, big), code: 1009},
		{name: "header alone over MaxMessage", opts: Options{MaxMessage: 1024}, in: cf(0x82, big)[:4], code: 1009},
		{name: "fragments over MaxMessage", opts: Options{MaxMessage: 1024}, in: join(cf(0x02, big[:800]), cf(0x80, big[:800])), code: 1009},
		{name: "64-bit length over MaxMessage", in: len64(1 << 40), code: 1009},
		{name: "64-bit length with the high bit", in: len64(1 << 63), code: 1002},
		{name: "close code 1005", in: cf(0x88, closePayload(1005, "")), code: 1002},
		{name: "close code 1006", in: cf(0x88, closePayload(1006, "")), code: 1002},
		{name: "close code 1015", in: cf(0x88, closePayload(1015, "")), code: 1002},
		{name: "close code 999", in: cf(0x88, closePayload(999, "")), code: 1002},
		{name: "close code 1004", in: cf(0x88, closePayload(1004, "")), code: 1002},
		{name: "close code 2999", in: cf(0x88, closePayload(2999, "")), code: 1002},
		{name: "close code 5000", in: cf(0x88, closePayload(5000, "")), code: 1002},
		{name: "one-byte close payload", in: cf(0x88, "\x03"), code: 1002},
		{name: "close reason not UTF-8", in: cf(0x88, closePayload(1000, "\xff")), code: 1007},
		{name: "peer closes with 1011", in: cf(0x88, closePayload(1011, "oops")), code: 1011, remote: true},
		{name: "peer closes with 4001", in: cf(0x88, closePayload(4001, "app")), code: 4001, remote: true},
		{name: "peer closes with 1012", in: cf(0x88, closePayload(1012, "")), code: 1012, remote: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openServer(t, Raw(tc.opts))
			evs, _ := feed(st, tc.in)
			require.NotEmpty(t, evs)
			ev := evs[len(evs)-1]
			require.Equal(t, codec.EventClose, ev.Kind, "%+v", evs)
			require.Equal(t, tc.code, closeCodeOf(t, ev.Frame))
			code, remote := errCode(ev.Err)
			require.Equal(t, tc.code, code, "%v", ev.Err)
			require.Equal(t, tc.remote, remote)
			require.Empty(t, st.Goodbye(nil, nil), "nothing after a close frame")
			_, err := st.AppendMessage(nil, []byte("x"), []byte(nil))
			require.ErrorIs(t, err, ErrClosed)
			st.Release()
		})
	}
}

func TestServerControlFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want []rec
	}{
		{"ping is answered with a pong", cf(0x89, "are you there"),
			[]rec{{Kind: codec.EventReply, Frame: string(sf(0x8a, "are you there"))}}},
		{"empty ping", cf(0x89, ""), []rec{{Kind: codec.EventReply, Frame: "\x8a\x00"}}},
		{"pong is ignored", join(cf(0x8a, "late"), cf(0x82, "x")), []rec{{Kind: codec.EventMessage, Frame: "x"}}},
		{"clean close", cf(0x88, closePayload(1000, "bye")), []rec{{Kind: codec.EventClose, Frame: "\x88\x02\x03\xe8"}}},
		{"going away", cf(0x88, closePayload(1001, "")), []rec{{Kind: codec.EventClose, Frame: "\x88\x02\x03\xe9"}}},
		{"close without a code is echoed as 1000", cf(0x88, ""), []rec{{Kind: codec.EventClose, Frame: "\x88\x02\x03\xe8"}}},
		{"empty messages", join(cf(0x81, ""), cf(0x82, "")), []rec{{Kind: codec.EventMessage, Text: true}, {Kind: codec.EventMessage}}},
		{"16-bit length", cf(0x82, strings.Repeat("m", 300)), []rec{{Kind: codec.EventMessage, Frame: strings.Repeat("m", 300)}}},
		{"64-bit length", cf(0x82, strings.Repeat("m", 70000)), []rec{{Kind: codec.EventMessage, Frame: strings.Repeat("m", 70000)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := feed(openServer(t, Raw(Options{})), tc.in)
			require.Equal(t, tc.want, evs)
		})
	}
}

func TestFragmentation(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want []rec
	}{
		{"three fragments with pings between", join(cf(0x01, "hel"), cf(0x89, "p1"), cf(0x00, "lo "), cf(0x89, "p2"), cf(0x80, "world")),
			[]rec{{Kind: codec.EventReply, Frame: string(sf(0x8a, "p1"))}, {Kind: codec.EventReply, Frame: string(sf(0x8a, "p2"))},
				{Kind: codec.EventMessage, Text: true, Frame: "hello world"}}},
		{"binary fragments with empty ones", join(cf(0x02, ""), cf(0x00, "\x00\x01"), cf(0x00, ""), cf(0x80, "\xff")),
			[]rec{{Kind: codec.EventMessage, Frame: "\x00\x01\xff"}}},
		{"multibyte characters split across fragments", join(cf(0x01, "\xe2"), cf(0x00, "\x82"), cf(0x00, "\xac \xf0\x9f"), cf(0x80, "\x98\x80")),
			[]rec{{Kind: codec.EventMessage, Text: true, Frame: "€ 😀"}}},
		{"message after a fragmented one", join(cf(0x02, "a"), cf(0x80, "b"), cf(0x81, "c")),
			[]rec{{Kind: codec.EventMessage, Frame: "ab"}, {Kind: codec.EventMessage, Text: true, Frame: "c"}}},
		{"fragments growing past a buffer class", join(cf(0x02, strings.Repeat("a", 5000)), cf(0x80, strings.Repeat("b", 20000))),
			[]rec{{Kind: codec.EventMessage, Frame: strings.Repeat("a", 5000) + strings.Repeat("b", 20000)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openServer(t, Raw(Options{}))
			evs, _ := feed(st, tc.in)
			require.Equal(t, tc.want, evs)
			s := st.(*stream)
			require.Nil(t, s.buf, "no buffer between messages")
			_, _ = st.Next(nil)
			require.Nil(t, s.held, "the delivered buffer goes back at the next call")
		})
	}
}

func TestFragmentFloodIsBounded(t *testing.T) {
	st := openServer(t, Raw(Options{MaxMessage: 600}))
	in := cf(0x02, "")
	for range 200 {
		in = append(in, cf(0x00, "")...)
	}
	evs, _ := feed(st, in)
	require.Len(t, evs, 1)
	code, _ := errCode(evs[0].Err)
	require.Equal(t, CloseTooBig, code)
}

func TestSplitAtEveryByte(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		in   []byte
	}{
		{"handshake and frames", Options{}, join([]byte(upgradeReq("/")), cf(0x81, "héllo"), cf(0x89, "ping"),
			cf(0x02, "frag"), cf(0x8a, ""), cf(0x80, "ment"), cf(0x82, strings.Repeat("z", 300)), cf(0x88, closePayload(1000, "")))},
		{"handshake and a violation", Options{}, join([]byte(upgradeReq("/")), cf(0x81, "ok"), cf(0x81, "\xc3\x28"))},
		{"compressed", Options{Compression: true}, join([]byte(upgradeReq("/", "Sec-WebSocket-Extensions: permessage-deflate")),
			deflateFrames(t, 0xc1, "compressed text compressed text"), cf(0x81, "plain"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := feed(Raw(tc.opts).NewStream(false, ""), bytes.Clone(tc.in))
			require.NotEmpty(t, want)
			for k := 1; k < len(tc.in); k++ {
				got, _ := feed(Raw(tc.opts).NewStream(false, ""), bytes.Clone(tc.in), k)
				require.Equal(t, want, got, "split at %d", k)
			}
			cuts := make([]int, len(tc.in)-1)
			for i := range cuts {
				cuts[i] = i + 1
			}
			got, _ := feed(Raw(tc.opts).NewStream(false, ""), bytes.Clone(tc.in), cuts...)
			require.Equal(t, want, got, "a byte at a time")
		})
	}
}

func TestClientRejectsMaskedServerFrames(t *testing.T) {
	_, cli := pair(t, Raw(Options{}), Raw(Options{}))
	evs, _ := feed(cli, cf(0x81, "masked"))
	require.Len(t, evs, 1)
	require.Equal(t, codec.EventClose, evs[0].Kind)
	require.Equal(t, CloseProtocolError, closeCodeOf(t, evs[0].Frame))
	require.Equal(t, byte(0x82), evs[0].Frame[1], "a client's close frame is masked")
}

func TestClientControlFrames(t *testing.T) {
	_, cli := pair(t, Raw(Options{}), Raw(Options{}))
	evs, _ := feed(cli, join(sf(0x89, "hb"), sf(0x81, "hi"), sf(0x88, closePayload(1001, ""))))
	require.Len(t, evs, 3)
	// The pong is masked: unmask it to compare.
	pong := []byte(evs[0].Frame)
	require.Equal(t, []byte{0x8a, 0x82}, pong[:2])
	maskBytes(pong[6:], binary.LittleEndian.Uint32(pong[2:]))
	require.Equal(t, "hb", string(pong[6:]))
	require.Equal(t, rec{Kind: codec.EventMessage, Text: true, Frame: "hi"}, evs[1])
	require.Equal(t, codec.EventClose, evs[2].Kind)
	require.Equal(t, CloseGoingAway, closeCodeOf(t, evs[2].Frame))
	require.NoError(t, evs[2].Err)
}
