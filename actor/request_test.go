package actor_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/stretchr/testify/require"
)

// oracle answers "ping" with "pong", ignores "silence", panics on "boom".
func oracle() actor.Actor {
	return actor.ReceiveFunc(func(ctx *actor.Context) {
		switch ctx.Message() {
		case "ping":
			ctx.Respond("pong")
			if err := ctx.Respond("second answer"); !errors.Is(err, actor.ErrNoRequest) {
				panic("a second Respond was accepted")
			}
		case "boom":
			panic("boom")
		case "not a request":
			if err := ctx.Respond("x"); !errors.Is(err, actor.ErrNoRequest) {
				panic("Respond to a plain message was accepted")
			}
		}
	})
}

func startBare(t *testing.T, opts ...actor.Option) *actor.System {
	t.Helper()
	sys, err := actor.NewSystem(opts...)
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := sys.Stop(ctx); !errors.Is(err, actor.ErrStopped) {
			require.NoError(t, err)
		}
	})
	return sys
}

func TestAskAndRequest(t *testing.T) {
	sys := startBare(t, actor.Shards(2))
	o, err := sys.Spawn(oracle)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	got, err := sys.Ask(ctx, o, "ping")
	require.NoError(t, err)
	require.Equal(t, "pong", got)

	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	_, err = sys.Ask(short, o, "silence")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	_, err = sys.Ask(ctx, 0, "ping")
	require.ErrorIs(t, err, actor.ErrZeroID)

	// Request from an actor: one Response per request, matched by ID
	responses := make(chan actor.Response, 8)
	asker, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				ctx.Request(o, "ping", waitFor)
				ctx.Request(o, "silence", 10*time.Millisecond)
			case actor.Response:
				responses <- m
			}
		})
	})
	require.NoError(t, err)
	_ = asker
	seen := map[string]bool{}
	for i := 0; i < 2; i++ {
		r := <-responses
		if r.Err != nil {
			require.ErrorIs(t, r.Err, actor.ErrTimeout)
			seen["timeout"] = true
		} else {
			require.Equal(t, "pong", r.Msg)
			seen["pong"] = true
		}
	}
	require.Equal(t, map[string]bool{"timeout": true, "pong": true}, seen)
	require.NoError(t, sys.Send(o, "not a request"))
}

func TestRequestToMissingActorAnswersErrNoActor(t *testing.T) {
	var dead atomic.Int32
	sys := startBare(t, actor.OnDeadLetter(func(actor.DeadLetter) { dead.Add(1) }))
	o, err := sys.Spawn(oracle, actor.Supervise(actor.StopOnFailure()))
	require.NoError(t, err)
	require.NoError(t, sys.Send(o, "boom")) // stops it
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.Eventually(t, func() bool {
		_, err := sys.Ask(ctx, o, "ping")
		return errors.Is(err, actor.ErrNoActor)
	}, waitFor, time.Millisecond)
	require.NoError(t, sys.Send(o, "plain message"))
	require.Eventually(t, func() bool { return dead.Load() >= 1 }, waitFor, time.Millisecond)
}
