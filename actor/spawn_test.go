package actor_test

import (
	"bufio"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// counter is a spawned actor: it counts "inc" messages, answers "get" to the
// sender, and stops on "stop"; every lifecycle message goes to events.
type counter struct {
	n      int
	events chan<- any
}

func (c *counter) Receive(ctx *actor.Context) {
	switch m := ctx.Message().(type) {
	case actor.Started, actor.Stopped:
		c.events <- m
	case string:
		switch m {
		case "inc":
			c.n++
		case "get":
			ctx.Send(ctx.Sender(), c.n)
		case "stop":
			ctx.Stop()
		}
	}
}

func TestSpawnedActorLifecycleAndMessages(t *testing.T) {
	events := make(chan any, 16)
	p := newProbe()
	var room atomic.Uint64 // set by the test, read by the shard
	p.onMsg = func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case []byte:
			ctx.Send(actor.ID(room.Load()), string(m))
		case int:
			ctx.Write(strconv.Itoa(m))
		}
	}
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory, actor.Shards(2))
	id, err := sys.Spawn(func() actor.Actor { return &counter{events: events} })
	require.NoError(t, err)
	require.False(t, id.IsZero())
	room.Store(uint64(id))
	require.Equal(t, actor.Started{}, <-events)

	c := dial(t, l.Addr())
	_, err = c.Write([]byte("inc\ninc\ninc\nget\n"))
	require.NoError(t, err)
	r := bufio.NewReader(c)
	require.Equal(t, "3", readLine(t, r))

	_, err = c.Write([]byte("stop\n"))
	require.NoError(t, err)
	require.Equal(t, actor.Stopped{}, <-events)
	require.Eventually(t, func() bool {
		if _, err := c.Write([]byte("get\n")); err != nil { // to a stopped actor: a dead letter
			return false // the write error shows in the connection's next check
		}
		var dead uint64
		for _, s := range sys.Stats() {
			dead += s.DeadLetters
		}
		return dead > 0
	}, waitFor, 10*time.Millisecond)
}

func TestContextSpawnDeliversStartedFirst(t *testing.T) {
	events := make(chan any, 16)
	type spawned struct {
		err           error
		parent, child int // the parent's shard and the child's
	}
	spawns := make(chan spawned, 1) // what Context.Spawn did, asserted below
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			child, err := ctx.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(ctx *actor.Context) { events <- ctx.Message() })
			})
			spawns <- spawned{err: err, parent: ctx.Shard(), child: child.Shard()}
			if err == nil {
				ctx.Send(child, "first message")
			}
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory)
	dial(t, l.Addr())
	s := recv(t, spawns)
	require.NoError(t, s.err)
	require.Equal(t, s.parent, s.child, "a child lives on its parent's shard")
	require.Equal(t, actor.Started{}, <-events)
	require.Equal(t, "first message", <-events)
}

func TestStopDeliversStoppedToSpawnedActors(t *testing.T) {
	events := make(chan any, 16)
	sys, err := actor.NewSystem(actor.Shards(2))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	for i := 0; i < 3; i++ {
		_, err := sys.Spawn(func() actor.Actor { return &counter{events: events} })
		require.NoError(t, err)
		require.Equal(t, actor.Started{}, <-events)
	}
	require.NoError(t, sys.Stop(t.Context()))
	for i := 0; i < 3; i++ {
		require.Equal(t, actor.Stopped{}, <-events)
	}
	_, err = sys.Spawn(func() actor.Actor { return &counter{events: events} })
	require.ErrorIs(t, err, actor.ErrStopped)
	_, err = sys.Spawn(nil)
	require.ErrorIs(t, err, actor.ErrNilFactory)
}

func TestStoppedActorCanStillSayGoodbye(t *testing.T) {
	got := make(chan any, 4)
	sys := startBare(t)
	listener, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if m, ok := ctx.Message().(string); ok {
				got <- m
			}
		})
	})
	require.NoError(t, err)
	sent := make(chan error, 1) // what the send in Stopped returned, asserted below
	leaver, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch ctx.Message().(type) {
			case string:
				ctx.Stop()
				ctx.Stop() // twice is a no-op
			case actor.Stopped:
				sent <- ctx.Send(listener, "goodbye")
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, sys.Send(leaver, "leave"))
	require.NoError(t, recv(t, sent))
	require.Equal(t, "goodbye", <-got)
}
