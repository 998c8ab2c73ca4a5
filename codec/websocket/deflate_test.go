package websocket

import (
	"bytes"
	stdflate "compress/flate"
	"strings"
	"testing"

	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// deflated compresses s as one permessage-deflate payload (with the
// standard library's flate, independent of the code under test).
func deflated(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := stdflate.NewWriter(&b, stdflate.BestSpeed)
	require.NoError(t, err)
	_, err = w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	out := b.Bytes()
	require.True(t, bytes.HasSuffix(out, syncTail))
	return out[:len(out)-4]
}

// deflateFrames is one masked compressed frame with first byte b0.
func deflateFrames(t testing.TB, b0 byte, s string) []byte {
	return frame(b0, true, deflated(t, s))
}

// deflateServer is a compressed server stream.
func deflateServer(t testing.TB, o Options) codec.Stream {
	o.Compression = true
	return openServer(t, Raw(o), "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
}

func TestCompressionRoundTrip(t *testing.T) {
	long := strings.Repeat("the quick brown fox ", 500)
	for _, level := range []int{0, 1, 6, 9, -1, -2} {
		o := Options{Compression: true, CompressionLevel: level}
		srv, cli := pair(t, Raw(o), Raw(o))
		require.Equal(t, classCompressed, srv.Shared(), "compressed server streams share their own framing")
		require.Equal(t, -1, cli.Shared())
		for _, tc := range []struct {
			msg  any
			data string
			z    bool // sent compressed
		}{
			{codec.Text("short"), "short", false},
			{codec.Text(long), long, true},
			{[]byte(long), long, true},
			{"€" + long, "€" + long, true},
			{[]byte(strings.Repeat("\x00", 70000)), strings.Repeat("\x00", 70000), true},
		} {
			for _, dir := range []struct {
				name     string
				from, to codec.Stream
			}{{"server to client", srv, cli}, {"client to server", cli, srv}} {
				out, err := dir.from.AppendMessage([]byte("prefix"), []byte(tc.data), tc.msg)
				require.NoError(t, err)
				require.Equal(t, "prefix", string(out[:6]))
				require.Equal(t, tc.z, out[6]&bitRsv1 != 0, "%s level %d: RSV1", dir.name, level)
				if tc.z {
					require.Less(t, len(out), len(tc.data)/2, "compressed")
				}
				evs, rest := feed(dir.to, out[6:])
				require.Empty(t, rest)
				require.Len(t, evs, 1, "%s level %d: %+v", dir.name, level, evs)
				_, isBytes := tc.msg.([]byte)
				require.Equal(t, rec{Kind: codec.EventMessage, Text: !isBytes, Frame: tc.data}, evs[0], "%s level %d", dir.name, level)
			}
		}
	}
}

func TestCompressedFromPeer(t *testing.T) {
	long := strings.Repeat("fragmented and compressed ", 200)
	z := deflated(t, long)
	third := len(z) / 3
	bomb := deflated(t, strings.Repeat("\x00", 8<<20))
	for _, tc := range []struct {
		name string
		opts Options
		in   []byte
		want rec
		code int
	}{
		{name: "one frame", in: deflateFrames(t, 0xc1, long), want: rec{Kind: codec.EventMessage, Text: true, Frame: long}},
		{name: "fragments with a ping between",
			in:   join(frame(0x42, true, z[:third]), cf(0x89, ""), frame(0x00, true, z[third:2*third]), frame(0x80, true, z[2*third:])),
			want: rec{Kind: codec.EventMessage, Frame: long}},
		{name: "empty compressed message", in: frame(0xc2, true, []byte{0x00}), want: rec{Kind: codec.EventMessage}},
		{name: "uncompressed message on a compressed stream", in: cf(0x81, "plain"), want: rec{Kind: codec.EventMessage, Text: true, Frame: "plain"}},
		{name: "deflate bomb", opts: Options{MaxMessage: 1 << 20}, in: frame(0xc2, true, bomb), code: CloseTooBig},
		{name: "bomb in fragments", opts: Options{MaxMessage: 1 << 20}, in: join(frame(0x42, true, bomb[:10]), frame(0x80, true, bomb[10:])), code: CloseTooBig},
		{name: "corrupt deflate data", in: frame(0xc2, true, []byte{0xff, 0xff, 0xff, 0xff}), code: CloseInvalidPayload},
		{name: "compressed text not UTF-8", in: deflateFrames(t, 0xc1, "\xff\xfe"), code: CloseInvalidPayload},
		{name: "RSV1 on a continuation", in: join(frame(0x42, true, z[:third]), frame(0xc0, true, z[third:])), code: CloseProtocolError},
		{name: "RSV1 on a ping", in: cf(0xc9, ""), code: CloseProtocolError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := deflateServer(t, tc.opts)
			evs, _ := feed(st, tc.in)
			ev := evs[len(evs)-1]
			if tc.code != 0 {
				require.Equal(t, codec.EventClose, ev.Kind, "%+v", evs)
				code, _ := errCode(ev.Err)
				require.Equal(t, tc.code, code, "%v", ev.Err)
				require.Equal(t, tc.code, closeCodeOf(t, ev.Frame))
				return
			}
			require.Equal(t, tc.want, ev)
			s := st.(*stream)
			_, _ = st.Next(nil)
			require.Nil(t, s.buf)
			require.Nil(t, s.held)
		})
	}
}

func TestInflateIsBounded(t *testing.T) {
	p := &deflatePools{level: 1}
	bomb := deflated(t, strings.Repeat("\x00", 16<<20))
	out, err := p.inflate(bomb, 1<<20)
	require.ErrorIs(t, err, errTooBig)
	require.Nil(t, out)
	out, err = p.inflate(deflated(t, "ok"), 2)
	require.NoError(t, err)
	require.Equal(t, "ok", string(*out))
	putBuf(out)
	_, err = p.inflate(deflated(t, "too long"), 2)
	require.ErrorIs(t, err, errTooBig)
}

// TestSharedCompressedFraming: with no context takeover, a compressed frame
// is the same for every server stream of the compressed class, so the
// codec frames it once for all of them; short payloads stay plain.
func TestSharedCompressedFraming(t *testing.T) {
	c := Raw(Options{Compression: true, CompressThreshold: 64})
	long := []byte(strings.Repeat("shared state ", 40))
	for _, payload := range [][]byte{long, []byte("short")} {
		shared, err := c.AppendShared(nil, payload, payload, classCompressed)
		require.NoError(t, err)
		for range 3 {
			srv, _ := pair(t, c, c)
			require.Equal(t, classCompressed, srv.Shared())
			own, err := srv.AppendMessage(nil, payload, payload)
			require.NoError(t, err)
			require.Equal(t, shared, own)
		}
		require.Equal(t, len(payload) >= 64, shared[0]&bitRsv1 != 0, "compressed only past the threshold")
	}
}
