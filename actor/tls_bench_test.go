package actor_test

import (
	"context"
	"crypto/tls"
	"net"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// BenchmarkTLSEchoPingPong is BenchmarkEchoPingPong over TLS 1.3: Shoal's
// tls:// listener (records sealed and opened on the shard) against Go's
// crypto/tls over net, a goroutine per connection, in the same run. The
// client is crypto/tls in both. One op = one message there and back.
func BenchmarkTLSEchoPingPong(b *testing.B) {
	pki := newPKI(b)
	sys, err := actor.NewSystem()
	if err != nil {
		b.Fatal(err)
	}
	l, err := sys.Listen("tls://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory, actor.TLS(pki.serverConfig()))
	if err != nil {
		b.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		b.Fatal(err)
	}
	defer sys.Stop(context.Background())

	std, err := tls.Listen("tcp", "127.0.0.1:0", pki.serverConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer std.Close()
	go func() {
		for {
			c, err := std.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 16<<10)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	for _, size := range []int{64, 4096} {
		name := "B" + map[int]string{64: "64", 4096: "4K"}[size]
		b.Run("Shoal/"+name, func(b *testing.B) { tlsPingPong(b, pki, l.Addr(), size) })
		b.Run("StdTLS/"+name, func(b *testing.B) { tlsPingPong(b, pki, std.Addr(), size) })
	}
}

func tlsPingPong(b *testing.B, pki *testPKI, addr net.Addr, size int) {
	c, err := tls.Dial("tcp", addr.String(), pki.clientConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	pingPongOn(b, c, size)
}

// TestTLSEchoDoesNotAllocate: once established, a TLS connection's records
// are opened and sealed on the shard without an allocation per message
// (counted process-wide, the crypto/tls client included). crypto/tls itself
// allocates 16 bytes each time it reads its transport for a record it
// lacks (an atLeastReader, on both ends, as the standard library server
// pays too); the shard reads crypto/tls only while it may hold a whole
// record, so a batch of a thousand frames costs a handful of those, not one
// per frame.
func TestTLSEchoDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are measured without -race")
	}
	pki := newPKI(t)
	_, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory, actor.TLS(pki.serverConfig()))
	c := tlsDial(t, l.Addr(), pki.clientConfig())
	allocs := echoBatchAllocs(t, c)
	t.Logf("%v allocations per batch of %d frames", allocs, allocBatch)
	require.LessOrEqual(t, allocs, 10.0, "%v allocations per batch of %d frames over TLS", allocs, allocBatch)
}
