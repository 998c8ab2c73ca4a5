package actor_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The System methods that wait refuse at once with ErrOnShard when called
// from Receive, on any shard count and whatever the deadline — instead of
// hanging the shard — and the shard goes on serving.
func TestBlockingCallsFromReceiveRefuse(t *testing.T) {
	for _, shards := range []int{1, 2} {
		t.Run(strings.Repeat("shard", shards), func(t *testing.T) {
			errs := make(chan error, 8)
			p := newProbe()
			sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), lineEcho(p), actor.Shards(shards))
			probeID, err := sys.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(ctx *actor.Context) {
					if ctx.Message() != "go" {
						return
					}
					sys := ctx.System()
					_, err := sys.Ask(context.Background(), ctx.Self(), "self, no deadline")
					errs <- err
					bounded, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					defer cancel()
					_, err = sys.Ask(bounded, ctx.Self(), "self, with a deadline")
					errs <- err
					for i := 0; i < 2*shards; i++ { // round-robin lands on this shard
						_, err = sys.Spawn(func() actor.Actor { return echoActor{} })
						errs <- err
					}
					_, err = sys.Dial(bounded, l.Addr().String(), codec.Bytes(codec.Line()), echoFactory)
					errs <- err
					errs <- sys.Stop(bounded)
				})
			})
			require.NoError(t, err)
			require.NoError(t, sys.Send(probeID, "go"))
			for i := 0; i < 4+2*shards; i++ {
				require.ErrorIs(t, recv(t, errs), actor.ErrOnShard)
			}
			requireServed(t, l.Addr()) // nothing stopped, nothing hangs
		})
	}
}

// Context.Dial is Dial for actors: it returns at once and the outcome comes
// back as a Dialed message, the ID of the new connection's actor or the
// error.
func TestContextDialAnswersWithDialed(t *testing.T) {
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
	refused, err := net0(t)
	require.NoError(t, err)
	echoed := make(chan string, 1)
	dialed := make(chan actor.Dialed, 2)
	id, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				client := func() actor.Actor {
					return actor.ReceiveFunc(func(ctx *actor.Context) {
						switch m := ctx.Message().(type) {
						case string:
							ctx.WriteBytes([]byte(m))
						case []byte:
							echoed <- string(m)
						}
					})
				}
				if err := ctx.Dial(l.Addr().String(), codec.Bytes(codec.Line()), client); err != nil {
					dialed <- actor.Dialed{Err: err}
				}
				if err := ctx.Dial(refused, codec.Bytes(codec.Line()), client); err != nil {
					dialed <- actor.Dialed{Err: err}
				}
			case actor.Dialed:
				dialed <- m
				if m.Err == nil {
					ctx.Send(m.ID, "through the dialled connection")
				}
			}
		})
	})
	require.NoError(t, err)
	require.NotZero(t, id)
	var ok, failed actor.Dialed
	for i := 0; i < 2; i++ {
		d := recv(t, dialed)
		if d.Err == nil {
			ok = d
		} else {
			failed = d
		}
	}
	require.Equal(t, l.Addr().String(), ok.Addr)
	require.NotZero(t, ok.ID)
	require.Equal(t, refused, failed.Addr)
	require.Error(t, failed.Err)
	require.Equal(t, "through the dialled connection", recv(t, echoed))
}

// net0 returns an address nothing listens on.
func net0(t *testing.T) (string, error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// Stop returns once its context ends even while an actor blocks its shard
// (a bug in the actor, but a server must still be able to stop); the shard
// exits when the actor returns.
func TestStopReturnsWhenItsContextEnds(t *testing.T) {
	release := make(chan struct{})
	blocked := make(chan struct{})
	before := goleak.IgnoreCurrent()
	sys := startBare(t)
	id, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if ctx.Message() == "block" {
				close(blocked)
				<-release // never do this in Receive
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, sys.Send(id, "block"))
	recv(t, blocked)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- sys.Stop(ctx) }()
	require.ErrorIs(t, recv(t, stopped), context.DeadlineExceeded)
	close(release)
	require.Eventually(t, func() bool { return goleak.Find(before) == nil }, waitFor, 10*time.Millisecond,
		"the shard exits once the actor returns: %v", goleak.Find(before))
}
