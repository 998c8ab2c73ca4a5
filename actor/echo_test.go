package actor_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// echoRoundTrips writes chunks of random sizes and checks the echo byte for
// byte, reading concurrently so large payloads exercise short writes.
func echoRoundTrips(t *testing.T, c net.Conn, total int) {
	t.Helper()
	want := make([]byte, total)
	_, _ = rand.Read(want)
	got := make([]byte, total)
	var wg sync.WaitGroup
	var readErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, readErr = io.ReadFull(c, got)
	}()
	for off, step := 0, 1; off < total; step = (step*3 + 1) % 65521 {
		n := min(step+1, total-off)
		_, err := c.Write(want[off : off+n])
		require.NoError(t, err)
		off += n
	}
	wg.Wait()
	require.NoError(t, readErr)
	require.True(t, bytes.Equal(want, got), "echo differs from what was sent")
}

func TestEchoTCPManyConnectionsAndShards(t *testing.T) {
	_, l := startSystem(t, "tcp://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory, actor.Shards(3))
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		c := dial(t, l.Addr())
		wg.Add(1)
		go func() {
			defer wg.Done()
			echoRoundTrips(t, c, 200_000)
		}()
	}
	wg.Wait()
}

func TestEchoLargePayloadShortWrites(t *testing.T) {
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory)
	echoRoundTrips(t, dial(t, l.Addr()), 8<<20)
}

func TestEchoUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "echo.sock")
	_, l := startSystem(t, "unix://"+path, codec.Bytes(codec.Raw()), echoFactory, actor.Shards(2))
	require.Equal(t, "unix", l.Addr().Network())
	echoRoundTrips(t, dial(t, l.Addr()), 100_000)
}

func TestSeveralListenersEachWithItsCodec(t *testing.T) {
	sys, raw := startSystem(t, "tcp://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory, actor.Shards(2))
	upper := func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if b, ok := ctx.Message().([]byte); ok {
				ctx.WriteBytes(bytes.ToUpper(b))
			}
		})
	}
	path := filepath.Join(t.TempDir(), "lines.sock")
	lines, err := sys.Listen("unix://"+path, codec.Bytes(codec.Line()), upper)
	require.NoError(t, err)
	// a listener added while running
	late, err := sys.Listen("tcp://127.0.0.1:0", codec.Bytes(codec.Line()), upper)
	require.NoError(t, err)

	echoRoundTrips(t, dial(t, raw.Addr()), 10_000)
	for _, l := range []*actor.Listener{lines, late} {
		c := dial(t, l.Addr())
		_, err = c.Write([]byte("hello\r\nworld\n"))
		require.NoError(t, err)
		got := make([]byte, len("HELLO\nWORLD\n"))
		_, err = io.ReadFull(c, got)
		require.NoError(t, err)
		require.Equal(t, "HELLO\nWORLD\n", string(got))
	}
}

func TestListenRejectsBadAddressesAndArguments(t *testing.T) {
	sys, err := actor.NewSystem()
	require.NoError(t, err)
	defer sys.Stop(t.Context())
	for _, addr := range []string{"nonsense", "http://x:1", "tcp://127.0.0.1:99999"} {
		_, err := sys.Listen(addr, codec.Bytes(codec.Raw()), echoFactory)
		require.Error(t, err, addr)
	}
	_, err = sys.Listen("127.0.0.1:0", nil, echoFactory)
	require.Error(t, err)
	_, err = sys.Listen("127.0.0.1:0", codec.Bytes(codec.Raw()), nil)
	require.Error(t, err)
}
