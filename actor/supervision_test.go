package actor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/stretchr/testify/require"
)

func TestSupervisionRestartsThenStops(t *testing.T) {
	failures := make(chan actor.Failure, 16)
	lifecycle := make(chan any, 16)
	sys := startBare(t, actor.OnFailure(func(f actor.Failure) { failures <- f }))
	id, err := sys.Spawn(func() actor.Actor {
		n := 0 // per incarnation: a restart starts from scratch
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started, actor.Stopped:
				lifecycle <- m
			case string:
				n++
				if m == "boom" {
					panic(errors.New("boom"))
				}
				ctx.Respond(n)
			}
		})
	}, actor.Supervise(actor.RestartOnFailure(2, time.Hour)))
	require.NoError(t, err)
	require.Equal(t, actor.Started{}, <-lifecycle)

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for i := 1; i <= 3; i++ {
		n, err := sys.Ask(ctx, id, "count")
		require.NoError(t, err)
		require.Equal(t, i, n)
	}
	for restart := 0; restart < 2; restart++ {
		require.NoError(t, sys.Send(id, "boom"))
		f := <-failures
		require.Equal(t, actor.ActionRestarted, f.Action)
		require.Equal(t, id, f.ID, "a restarted actor keeps its ID")
		require.NotEmpty(t, f.Stack)
		require.Equal(t, actor.Started{}, <-lifecycle)
		n, err := sys.Ask(ctx, id, "count")
		require.NoError(t, err)
		require.Equal(t, 1, n, "the restarted actor is a fresh one")
	}
	require.NoError(t, sys.Send(id, "boom"))
	require.Equal(t, actor.ActionStopped, (<-failures).Action)
	require.Equal(t, actor.Stopped{}, <-lifecycle)
	_, err = sys.Ask(ctx, id, "count")
	require.ErrorIs(t, err, actor.ErrNoActor)
}

func TestWorkerPoolDeliversResultsAndFailsFast(t *testing.T) {
	results := make(chan actor.Result, 8)
	release := make(chan struct{})
	sys := startBare(t, actor.Workers(1, 1))
	_, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				// one running, one queued, the third refused at once
				require.NoError(t, ctx.Go(func() (any, error) { <-release; return "slow", nil }))
				for ctx.Go(func() (any, error) { panic("worker panic") }) != nil {
				}
				require.ErrorIs(t, ctx.Go(func() (any, error) { return nil, nil }), actor.ErrBusy)
				close(release)
			case actor.Result:
				results <- m
			}
		})
	})
	require.NoError(t, err)
	first, second := <-results, <-results
	require.Equal(t, "slow", first.Value)
	var pe *actor.PanicError
	require.ErrorAs(t, second.Err, &pe)
	require.Equal(t, "worker panic", pe.Value)
}
