package actor_test

import (
	"bufio"
	"context"
	"net"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

func TestDialServesOutboundConnectionsAsActors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		line, err := r.ReadString('\n')
		if err == nil && line == "hello\n" {
			_, err = c.Write([]byte("world\n"))
		}
		served <- err
	}()

	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.Write("hello")
		}
	}
	sys := startBare(t, actor.Shards(2))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	id, err := sys.Dial(ctx, "tcp://"+ln.Addr().String(), codec.Bytes(codec.Line()), p.factory)
	require.NoError(t, err)
	require.Equal(t, id, p.next(t, isOpened).id)
	got := p.next(t, func(m any) bool { return m == "world" })
	require.Equal(t, id, got.id)
	require.NoError(t, <-served)
	require.NoError(t, closedErr(t, p), "the server closed cleanly")

	// a refused connection is an error and makes no actor
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := dead.Addr().String()
	dead.Close()
	_, err = sys.Dial(ctx, addr, codec.Bytes(codec.Raw()), p.factory)
	require.Error(t, err)
	_, err = sys.Dial(ctx, addr, codec.Bytes(codec.Raw()), nil)
	require.ErrorIs(t, err, actor.ErrNilFactory)
	_, err = sys.Dial(ctx, "nonsense", codec.Bytes(codec.Raw()), p.factory)
	require.Error(t, err)
}
