package actor_test

import (
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

func TestLeastConnectionsFillsTheEmptiestShard(t *testing.T) {
	p := newProbe()
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory,
		actor.Shards(3), actor.LoadBalancing(actor.LeastConnections))
	// Three connections land one per shard; then the one on shard 1 closes,
	// and the next two connections go to shard 1 first (the emptiest).
	byShard := map[int]int{}
	conns := map[int]interface{ Close() error }{}
	for i := 0; i < 3; i++ {
		c := dial(t, l.Addr())
		id := p.next(t, isOpened).id
		byShard[id.Shard()]++
		conns[id.Shard()] = c
	}
	require.Equal(t, map[int]int{0: 1, 1: 1, 2: 1}, byShard)
	conns[1].Close()
	p.next(t, isClosed)
	require.Eventually(t, func() bool { return sys.Stats()[1].Connections == 0 }, waitFor, time.Millisecond)
	dial(t, l.Addr())
	require.Equal(t, 1, p.next(t, isOpened).id.Shard())
}

func TestSourceHashPinsAClientHostToOneShard(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory,
		actor.Shards(4), actor.LoadBalancing(actor.SourceHash))
	used := map[int]bool{}
	for host := 2; host <= 9; host++ {
		src := "127.0.0." + string(rune('0'+host))
		shard := -1
		for i := 0; i < 4; i++ {
			dialFrom(t, l.Addr(), src)
			got := p.next(t, isOpened).id.Shard()
			if shard >= 0 {
				require.Equal(t, shard, got, "connections from %s change shard", src)
			}
			shard = got
		}
		used[shard] = true
	}
	require.Greater(t, len(used), 1, "eight source hosts all hashed to one shard")
}

func TestReusePortEveryShardAccepts(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok {
			ctx.WriteBytes(b)
		}
	}
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.Shards(2), actor.ReusePort(true))
	shards := map[int]bool{}
	for i := 0; i < 40 && len(shards) < 2; i++ {
		// distinct source ports hash differently in the kernel
		echoRoundTrips(t, dial(t, l.Addr()), 100)
		shards[p.next(t, isOpened).id.Shard()] = true
	}
	require.Len(t, shards, 2, "the kernel spread 40 connections over one shard only")
	var accepted uint64
	for _, s := range sys.Stats() {
		accepted += s.Opened
	}
	require.Equal(t, l.Accepted(), accepted)
}
