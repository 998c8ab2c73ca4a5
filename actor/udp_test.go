package actor_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

func TestUDPEachPeerIsAnActor(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok {
			ctx.WriteBytes(append([]byte(ctx.Self().String()+" "+ctx.RemoteAddr().String()+" "), b...))
		}
	}
	_, l := startSystem(t, "udp://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.Shards(2),
		actor.IdleTimeout(100*time.Millisecond))
	require.Equal(t, "udp", l.Addr().Network())

	ids := map[string]bool{}
	for i := 0; i < 2; i++ {
		c, err := net.Dial("udp", l.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(waitFor)))
		var id string
		for n := 0; n < 3; n++ {
			_, err = c.Write([]byte("datagram"))
			require.NoError(t, err)
			buf := make([]byte, 256)
			k, err := c.Read(buf)
			require.NoError(t, err)
			parts := strings.SplitN(string(buf[:k]), " ", 3)
			require.Len(t, parts, 3)
			from, addr, body := parts[0], parts[1], parts[2]
			require.Equal(t, "datagram", body)
			require.Equal(t, c.LocalAddr().String(), addr)
			if id == "" {
				id = from
			}
			require.Equal(t, id, from, "one actor per peer")
		}
		ids[id] = true
	}
	require.Len(t, ids, 2)
	// silent peers expire
	for i := 0; i < 2; i++ {
		require.ErrorIs(t, closedErr(t, p), actor.ErrIdle)
	}
	require.Equal(t, 0, l.Open())
}
