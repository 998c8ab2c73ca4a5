package actor_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// Every option of Listen and Dial is checked in one place: the same bad
// value gets the same error from both, wrapping ErrBadOption, and an option
// of the other kind is refused rather than ignored.
func TestConnOptionsCheckedAlikeForListenAndDial(t *testing.T) {
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	bad := map[string]actor.ConnOption{
		"MaxConns":     actor.MaxConns(-1, nil),
		"IdleTimeout":  actor.IdleTimeout(-time.Second),
		"HighWater":    actor.HighWater(-1, actor.KeepWrites),
		"WritePolicy":  actor.HighWater(1024, actor.WritePolicy(9)),
		"MaxBuffered":  actor.MaxBuffered(-1),
		"CloseTimeout": actor.CloseTimeout(-time.Second),
		"Socket":       actor.Socket(actor.SocketOptions{SendBuffer: -1}),
		"DialTimeout":  actor.DialTimeout(0),
	}
	for name, o := range bad {
		t.Run(name, func(t *testing.T) {
			_, lerr := sys.Listen("127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory, o)
			require.ErrorIs(t, lerr, actor.ErrBadOption)
			_, derr := sys.Dial(ctx, l.Addr().String(), codec.Bytes(codec.Line()), echoFactory, o)
			require.ErrorIs(t, derr, actor.ErrBadOption)
			if name != "MaxConns" && name != "DialTimeout" { // those two also say which call they belong to
				require.Equal(t, strings.TrimPrefix(lerr.Error(), "actor: listen 127.0.0.1:0: "),
					strings.TrimPrefix(derr.Error(), "actor: dial "+l.Addr().String()+": "))
			}
		})
	}
	_, err := sys.Dial(ctx, l.Addr().String(), codec.Bytes(codec.Line()), echoFactory, actor.MaxConns(10, nil))
	require.ErrorIs(t, err, actor.ErrBadOption)
	require.Contains(t, err.Error(), "MaxConns applies to Listen")
	_, err = sys.Listen("127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory, actor.DialTimeout(time.Second))
	require.ErrorIs(t, err, actor.ErrBadOption)
	require.Contains(t, err.Error(), "DialTimeout applies to Dial")
	requireServed(t, l.Addr())
}

// A system's options are checked when it is made, each with an error
// wrapping ErrBadOption that names the option.
func TestSystemOptionsChecked(t *testing.T) {
	for name, o := range map[string]actor.Option{
		"Shards":         actor.Shards(actor.MaxShards + 1),
		"Node":           actor.Node(actor.MaxNode + 1),
		"InboxSize":      actor.InboxSize(1000),
		"MaxRetry":       actor.MaxRetry(-1),
		"ReadBufferSize": actor.ReadBufferSize(10),
		"SendWait":       actor.SendWait(-time.Second),
		"LoadBalancing":  actor.LoadBalancing(actor.Balance(7)),
		"Workers":        actor.Workers(0, 1),
	} {
		_, err := actor.NewSystem(o)
		require.ErrorIs(t, err, actor.ErrBadOption, name)
		require.Contains(t, err.Error(), name, name)
	}
	_, err := actor.ParseBalance("fastest")
	require.ErrorIs(t, err, actor.ErrBadOption)
	for _, b := range []actor.Balance{actor.RoundRobin, actor.LeastConnections, actor.SourceHash} {
		got, err := actor.ParseBalance(b.String())
		require.NoError(t, err)
		require.Equal(t, b, got)
	}
}

// Bad addresses are refused with ErrBadAddress by Listen and Dial alike.
func TestBadAddress(t *testing.T) {
	sys, _ := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
	_, err := sys.Listen("nowhere", codec.Bytes(codec.Line()), echoFactory)
	require.ErrorIs(t, err, actor.ErrBadAddress)
	_, err = sys.Dial(context.Background(), "nowhere", codec.Bytes(codec.Line()), echoFactory)
	require.ErrorIs(t, err, actor.ErrBadAddress)
	_, err = sys.Listen("127.0.0.1:0", nil, echoFactory)
	require.Error(t, err)
}

// Each Context.Go call returns its own JobID, and the Result of that call
// carries it, whatever order the results come in.
func TestGoResultCarriesItsJobID(t *testing.T) {
	sys, _ := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory, actor.Workers(2, 4))
	type started struct {
		slow, fast actor.JobID
		err        error
	}
	startedc := make(chan started, 1)
	results := make(chan actor.Result, 2)
	release := make(chan struct{})
	_, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				var s started
				var e1, e2 error
				s.slow, e1 = ctx.Go(func() (any, error) { <-release; return "slow", nil })
				s.fast, e2 = ctx.Go(func() (any, error) { return "fast", nil })
				s.err = errors.Join(e1, e2)
				startedc <- s
			case actor.Result:
				results <- m
			}
		})
	})
	require.NoError(t, err)
	s := recv(t, startedc)
	require.NoError(t, s.err)
	require.NotEqual(t, s.slow, s.fast)
	first := recv(t, results)
	close(release)
	second := recv(t, results)
	require.Equal(t, s.fast, first.ID, "the fast job's result comes first")
	require.Equal(t, "fast", first.Value)
	require.Equal(t, s.slow, second.ID)
	require.Equal(t, "slow", second.Value)
}

// A supervision policy with negative bounds is refused by both Spawns.
func TestSpawnRefusesBadPolicy(t *testing.T) {
	sys, _ := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
	bad := actor.Supervise(actor.Policy{MaxRestarts: -1})
	_, err := sys.Spawn(echoFactory, bad)
	require.ErrorIs(t, err, actor.ErrBadOption)
	errs := make(chan error, 1)
	_, err = sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if _, ok := ctx.Message().(actor.Started); ok {
				_, err := ctx.Spawn(echoFactory, actor.Supervise(actor.Policy{Window: -time.Second}))
				errs <- err
			}
		})
	})
	require.NoError(t, err)
	require.ErrorIs(t, recv(t, errs), actor.ErrBadOption)
}

// ParseID's errors and a nil codec match the package's sentinels.
func TestBadIDAndNilCodecSentinels(t *testing.T) {
	_, err := actor.ParseID("1:2:3")
	require.ErrorIs(t, err, actor.ErrBadID)
	_, err = actor.ParseID("2000:0:0:1")
	require.ErrorIs(t, err, actor.ErrBadID)
	var id actor.ID
	require.ErrorIs(t, id.UnmarshalText([]byte("x")), actor.ErrBadID)
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
	_, err = sys.Listen("127.0.0.1:0", nil, echoFactory)
	require.ErrorIs(t, err, actor.ErrBadOption)
	_, err = sys.Dial(context.Background(), l.Addr().String(), nil, echoFactory)
	require.ErrorIs(t, err, actor.ErrBadOption)
}

// A Receive still running when Stop gave up waiting for it can call
// Context.Go: it gets ErrStopped, not a panic on the closed job queue.
func TestGoAfterStopGaveUp(t *testing.T) {
	sys, err := actor.NewSystem(actor.Logger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	release := make(chan struct{})
	inside := make(chan struct{})
	got := make(chan error, 1)
	_, err = sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if _, ok := ctx.Message().(actor.Started); ok {
				close(inside)
				<-release // stuck in Receive while Stop runs out of time
				_, err := ctx.Go(func() (any, error) { return nil, nil })
				got <- err
			}
		})
	})
	require.NoError(t, err)
	<-inside
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, sys.Stop(ctx), context.DeadlineExceeded)
	close(release)
	// Stop stops the worker pool on its way out, maybe a moment after it
	// returned: the job is refused, or taken by a worker before the pool
	// closed; never a panic on the closed queue.
	if err := recv(t, got); err != nil {
		require.ErrorIs(t, err, actor.ErrStopped)
	}
}
