package actor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
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

// A panic in the middle of a batch of messages between shards costs only
// the panicking message: the rest of the batch, to the failing actor's
// neighbours and to the failing actor itself, arrives once and in order.
func TestPanicInABatchLosesNothingElse(t *testing.T) {
	const n = 600 // sent in one turn: several batches of the inbox, each with many panics
	failures := make(chan actor.Failure, n)
	sys := startBare(t, actor.Shards(2), actor.OnFailure(func(f actor.Failure) { failures <- f }))
	type record struct {
		id  actor.ID
		got []int
	}
	reports := make(chan record, 2)
	healthy := func() actor.Actor {
		var got []int
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if v, ok := ctx.Message().(int); ok {
				if got = append(got, v); len(got) == n {
					reports <- record{ctx.Self(), got}
				}
			}
		})
	}
	var survived []int // the panicking actor's odd messages, across its incarnations
	flaky := func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch v := ctx.Message().(type) {
			case int:
				if v%2 == 0 {
					panic(fmt.Sprint("even ", v))
				}
				survived = append(survived, v)
			case string:
				ctx.Respond(slices.Clone(survived))
			}
		})
	}
	spawnOn := func(shard int, f actor.Factory, opts ...actor.SpawnOption) actor.ID {
		for {
			id, err := sys.Spawn(f, opts...)
			require.NoError(t, err)
			if id.Shard() == shard {
				return id
			}
		}
	}
	h1 := spawnOn(1, healthy)
	bad := spawnOn(1, flaky, actor.Supervise(actor.RestartOnFailure(n, time.Hour)))
	h2 := spawnOn(1, healthy)
	sent := make(chan error, 1) // the first Send that failed (nil if none did), asserted below
	sender := spawnOn(0, func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if ctx.Message() != "go" {
				return
			}
			var err error
			for i := range n {
				if err = ctx.Send(h1, i); err != nil {
					break
				}
				if err = ctx.Send(bad, i); err != nil {
					break
				}
				if err = ctx.Send(h2, i); err != nil {
					break
				}
			}
			sent <- err
		})
	})
	require.NoError(t, sys.Send(sender, "go"))
	require.NoError(t, recv(t, sent))
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	for range 2 {
		select {
		case r := <-reports:
			require.Contains(t, []actor.ID{h1, h2}, r.id)
			require.Equal(t, want, r.got)
		case <-time.After(waitFor):
			t.Fatal("the healthy actors did not get all their messages")
		}
	}
	for i := 0; i < n/2; i++ {
		select {
		case f := <-failures:
			require.Equal(t, bad, f.ID)
			require.Equal(t, actor.ActionRestarted, f.Action)
			require.Equal(t, fmt.Sprint("even ", 2*i), f.Panic, "failures come in order, once each")
			require.Contains(t, string(f.Stack), "supervision_test.go", "the stack is the panicking one")
		case <-time.After(waitFor):
			t.Fatalf("%d failures of %d", i, n/2)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	odd, err := sys.Ask(ctx, bad, "report")
	require.NoError(t, err)
	wantOdd := []int{}
	for i := 1; i < n; i += 2 {
		wantOdd = append(wantOdd, i)
	}
	require.Equal(t, wantOdd, odd, "every message to the failing actor but the panicking ones arrived")
	select {
	case f := <-failures:
		t.Fatalf("an extra failure: %+v", f)
	default:
	}
}

func TestWorkerPoolDeliversResultsAndFailsFast(t *testing.T) {
	results := make(chan actor.Result, 8)
	goErrs := make(chan error, 2) // what the first and the third Go returned, asserted below
	release := make(chan struct{})
	sys := startBare(t, actor.Workers(1, 1))
	_, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				// one running, one queued, the third refused at once
				_, err := ctx.Go(func() (any, error) { <-release; return "slow", nil })
				goErrs <- err
				if err != nil {
					return // stop here, as the require here used to; the test goroutine fails on it
				}
				for {
					if _, err := ctx.Go(func() (any, error) { panic("worker panic") }); err == nil {
						break
					}
				}
				_, err = ctx.Go(func() (any, error) { return nil, nil })
				goErrs <- err
				close(release)
			case actor.Result:
				results <- m
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, recv(t, goErrs))
	require.ErrorIs(t, recv(t, goErrs), actor.ErrBusy)
	first, second := <-results, <-results
	require.Equal(t, "slow", first.Value)
	var pe *actor.PanicError
	require.ErrorAs(t, second.Err, &pe)
	require.Equal(t, "worker panic", pe.Value)
}

// A factory that panics or returns nil fails the one actor it was making:
// the connection closes (with a *PanicError or ErrNilActor), Spawn and Dial
// return the error, a restart that cannot make a fresh actor stops it; the
// failure hook sees each panic with its stack, and the system goes on.
func TestBadFactoriesFailOnlyTheirActor(t *testing.T) {
	failures := make(chan actor.Failure, 16)
	calls := 0
	var mu sync.Mutex
	factory := func() actor.Actor { // the first call panics
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			panic(fmt.Sprint("factory call ", n))
		}
		return echoActor{}
	}
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), factory, actor.OnFailure(func(f actor.Failure) { failures <- f }))

	c := dial(t, l.Addr()) // call 1 panics: this connection closes
	_, err := c.Read(make([]byte, 1))
	require.Error(t, err)
	f := <-failures
	require.Equal(t, "factory call 1", f.Panic)
	require.Equal(t, actor.ActionClosed, f.Action)
	require.Contains(t, string(f.Stack), "supervision_test.go")
	requireServed(t, l.Addr()) // call 2 works

	_, err = sys.Spawn(func() actor.Actor { panic("spawn factory") })
	var pe *actor.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "spawn factory", pe.Value)
	<-failures
	_, err = sys.Spawn(func() actor.Actor { return nil })
	require.ErrorIs(t, err, actor.ErrNilActor)

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err = sys.Dial(ctx, l.Addr().String(), codec.Bytes(codec.Line()), func() actor.Actor { panic("dial factory") })
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "dial factory", (<-failures).Panic)

	// From inside an actor: Context.Spawn returns the error, the caller goes on.
	got := make(chan error, 1)
	parent, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if ctx.Message() == "spawn" {
				_, err := ctx.Spawn(func() actor.Actor { return nil })
				got <- err
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, sys.Send(parent, "spawn"))
	require.ErrorIs(t, <-got, actor.ErrNilActor)

	// A restart whose factory now panics stops the actor instead.
	first := true
	lifecycle := make(chan any, 4)
	id, err := sys.Spawn(func() actor.Actor {
		if !first {
			panic("no second incarnation")
		}
		first = false
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Stopped:
				lifecycle <- m
			case string:
				panic(m)
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, sys.Send(id, "boom"))
	f = <-failures
	require.Equal(t, "boom", f.Panic)
	require.Equal(t, actor.ActionStopped, f.Action)
	require.Equal(t, actor.Stopped{}, <-lifecycle)
	requireServed(t, l.Addr())
}
