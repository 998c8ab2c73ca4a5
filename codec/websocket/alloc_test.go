package websocket

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

func TestStreamSize(t *testing.T) {
	t.Logf("stream: %d bytes (+ %d for a client)", unsafe.Sizeof(stream{}), unsafe.Sizeof(client{}))
	require.LessOrEqual(t, unsafe.Sizeof(stream{}), uintptr(96))
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	srv := openServer(t, Raw(Options{}))
	_, cli := pair(t, Raw(Options{}), Raw(Options{}))
	payload := []byte(strings.Repeat("€uro", 256))
	var bin, text any = payload, codec.Text(payload)
	dst := make([]byte, 0, 8192)
	for _, tc := range []struct {
		name   string
		pooled bool // uses sync.Pool (which drops items under -race)
		in     []byte
		st     codec.Stream
		fn     func(st codec.Stream, in []byte)
	}{
		{name: "Next: masked binary frame", in: cf(0x82, string(payload)), st: srv},
		{name: "Next: masked text frame", in: cf(0x81, string(payload)), st: srv},
		{name: "Next: ping", in: cf(0x89, "ping"), st: srv},
		{name: "Next: fragments", pooled: true, in: join(cf(0x01, "€"[:2]), cf(0x80, "€"[2:])), st: srv},
		{name: "Next: client pong", in: sf(0x89, "ping"), st: cli},
		{name: "AppendMessage: server binary", st: srv, fn: func(st codec.Stream, _ []byte) { dst, _ = st.AppendMessage(dst[:0], payload, bin) }},
		{name: "AppendMessage: server text", st: srv, fn: func(st codec.Stream, _ []byte) { dst, _ = st.AppendMessage(dst[:0], payload, text) }},
		{name: "AppendMessage: client (masked)", st: cli, fn: func(st codec.Stream, _ []byte) { dst, _ = st.AppendMessage(dst[:0], payload, bin) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.pooled && raceEnabled {
				t.Skip("sync.Pool drops items under -race")
			}
			buf := make([]byte, len(tc.in))
			fn := tc.fn
			if fn == nil {
				fn = func(st codec.Stream, in []byte) {
					copy(buf, in)
					for b := buf; ; {
						ev, n := st.Next(b)
						if ev.Kind == codec.EventClose {
							panic(ev.Err)
						}
						if n == 0 {
							break
						}
						b = b[n:]
					}
				}
			}
			allocs := testing.AllocsPerRun(200, func() { fn(tc.st, tc.in) })
			require.Zero(t, allocs)
		})
	}
}
