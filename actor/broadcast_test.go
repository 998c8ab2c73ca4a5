package actor_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// caster joins "cast"; a wire message "go N" makes it broadcast N big
// numbered messages, each followed by a write of its own, so shared and own
// bytes interleave and the socket fills (short writevs).
func caster() actor.Actor {
	return actor.ReceiveFunc(func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case actor.Opened:
			ctx.Join("cast")
			ctx.Write("ready")
		case []byte:
			var n int
			if _, err := fmt.Sscanf(string(m), "go %d", &n); err != nil {
				return
			}
			for i := 0; i < n; i++ {
				ctx.Broadcast("cast", fmt.Sprintf("cast %d %s", i, bytes.Repeat([]byte{'a' + byte(i%26)}, 8000)))
				ctx.Write(fmt.Sprintf("own %d", i))
			}
		}
	})
}

func TestBroadcastSharesBytesAcrossShardsAndCodecs(t *testing.T) {
	sys, lines := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), caster, actor.Shards(3))
	framed, err := sys.Listen("127.0.0.1:0", codec.Bytes(codec.LengthField(4)), caster)
	require.NoError(t, err)

	var readers []*bufio.Reader
	var conns []net.Conn
	for i := 0; i < 4; i++ {
		c := dial(t, lines.Addr())
		r := bufio.NewReader(c)
		require.Equal(t, "ready", readLine(t, r))
		readers, conns = append(readers, r), append(conns, c)
	}
	fc := dial(t, framed.Addr())
	readFrame := func() string {
		var n uint32
		require.NoError(t, binary.Read(fc, binary.BigEndian, &n))
		b := make([]byte, n)
		_, err := io.ReadFull(fc, b)
		require.NoError(t, err)
		return string(b)
	}
	require.Equal(t, "ready", readFrame())

	const n = 300
	_, err = conns[0].Write([]byte(fmt.Sprintf("go %d\n", n)))
	require.NoError(t, err)

	want := func(i int) string { return fmt.Sprintf("cast %d %s", i, bytes.Repeat([]byte{'a' + byte(i%26)}, 8000)) }
	// the caster sees its broadcasts in order among its own writes
	casts, owns := 0, 0
	for casts < n || owns < n {
		line := readLine(t, readers[0])
		if line == fmt.Sprintf("own %d", owns) {
			owns++
			continue
		}
		require.Equal(t, want(casts), line, "caster, cast %d", casts)
		casts++
	}
	for k, r := range readers[1:] {
		for i := 0; i < n; i++ {
			require.Equal(t, want(i), readLine(t, r), "member %d, cast %d", k+1, i)
		}
	}
	for i := 0; i < n; i++ {
		require.Equal(t, want(i), readFrame(), "length-field member, cast %d", i)
	}
	require.NoError(t, sys.Broadcast("cast", "from outside"))
	require.Equal(t, "from outside", readLine(t, readers[2]))
	require.Equal(t, "from outside", readFrame())
}
