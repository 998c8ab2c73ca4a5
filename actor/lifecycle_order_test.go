package actor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// seen is one message an incarnation of a test actor handled.
type seen struct {
	life int // which incarnation: 1 for the first, 2 after one restart
	msg  any
}

// After a restart, Started is the first message the fresh incarnation
// handles, even when messages for it were queued before the panic: sent to
// itself just before panicking, or sent from outside right behind the
// message that made it panic.
func TestRestartDeliversStartedBeforeQueuedMessages(t *testing.T) {
	for _, tt := range []struct {
		name  string
		queue func(sys *actor.System, id actor.ID) // queues "boom" and what follows it
	}{
		{name: "self-sent before the panic", queue: func(sys *actor.System, id actor.ID) {
			sys.Send(id, "boom-after") // the actor sends itself "after" 3 times, then panics
		}},
		{name: "sent from outside behind the panic", queue: func(sys *actor.System, id actor.ID) {
			sys.Send(id, "boom")
			for i := 0; i < 3; i++ {
				sys.Send(id, "after")
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan seen, 64)
			sys := startBare(t, actor.Shards(2))
			lives := 0
			id, err := sys.Spawn(func() actor.Actor {
				lives++ // the factory runs on the actor's shard, one incarnation at a time
				life := lives
				return actor.ReceiveFunc(func(ctx *actor.Context) {
					got <- seen{life: life, msg: ctx.Message()}
					switch ctx.Message() {
					case "boom-after":
						for i := 0; i < 3; i++ {
							ctx.Send(ctx.Self(), "after")
						}
						panic("boom")
					case "boom":
						panic("boom")
					}
				})
			}, actor.Supervise(actor.RestartOnFailure(5, time.Hour)))
			require.NoError(t, err)
			require.Equal(t, seen{1, actor.Started{}}, recv(t, got))
			tt.queue(sys, id)
			first := recv(t, got)
			require.Equal(t, 1, first.life, "the panicking message reaches the first incarnation")
			next := recv(t, got)
			require.Equal(t, seen{2, actor.Started{}}, next, "the fresh incarnation's first message is Started")
			for i := 0; i < 3; i++ {
				require.Equal(t, seen{2, "after"}, recv(t, got))
			}
		})
	}
}

// deadLetters collects what reaches the system's dead-letter hook.
func deadLetters() (actor.Option, chan actor.DeadLetter) {
	ch := make(chan actor.DeadLetter, 64)
	return actor.OnDeadLetter(func(d actor.DeadLetter) { ch <- d }), ch
}

// Once an actor is stopping — it called ctx.Stop, its failure policy
// stopped it, or (a connection) it panicked — nothing but its final
// Stopped or Closed reaches it, however the messages were queued: the rest
// are dead letters, and a request among them gets ErrNoActor.
func TestNothingReachesAStoppingActor(t *testing.T) {
	for _, tt := range []struct {
		name   string
		policy actor.Policy
		first  string // what the target gets first: it stops or panics on it
	}{
		{name: "Context.Stop", policy: actor.StopOnFailure(), first: "stop"},
		{name: "stopped by its policy", policy: actor.StopOnFailure(), first: "boom"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hook, dead := deadLetters()
			sys := startBare(t, actor.Shards(1), hook) // one shard: every send below is queued in one turn
			got := make(chan any, 64)
			target, err := sys.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(ctx *actor.Context) {
					got <- ctx.Message()
					switch ctx.Message() {
					case "stop":
						ctx.Stop()
						ctx.Send(ctx.Self(), "to itself after Stop")
					case "boom":
						panic("boom")
					}
				})
			}, actor.Supervise(tt.policy))
			require.NoError(t, err)
			require.Equal(t, actor.Started{}, recv(t, got))
			answers := make(chan actor.Response, 1)
			driver, err := sys.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(ctx *actor.Context) {
					switch m := ctx.Message().(type) {
					case string: // go: queue everything for the target at once
						ctx.Send(target, tt.first)
						ctx.Send(target, "late")
						if _, err := ctx.Request(target, "question", waitFor); err != nil {
							answers <- actor.Response{Err: err}
						}
					case actor.Response:
						answers <- m
					}
				})
			})
			require.NoError(t, err)
			require.NoError(t, sys.Send(driver, "go"))

			require.Equal(t, tt.first, recv(t, got))
			require.Equal(t, actor.Stopped{}, recv(t, got), "only Stopped follows")
			resp := recv(t, answers)
			require.ErrorIs(t, resp.Err, actor.ErrNoActor)
			want := map[any]bool{"late": true, "question": true}
			if tt.first == "stop" {
				want["to itself after Stop"] = true
			}
			for len(want) > 0 {
				select {
				case d := <-dead:
					require.Equal(t, target, d.To)
					require.True(t, want[d.Message], "unexpected dead letter %v", d.Message)
					delete(want, d.Message)
				case <-time.After(waitFor):
					t.Fatalf("dead letters missing: %v", want)
				}
			}
			select {
			case m := <-got:
				t.Fatalf("a stopped actor received %v", m)
			default:
			}
		})
	}
}

// A connection actor that panics gets nothing more but its Closed, not
// even what it sent itself just before the panic.
func TestPanickedConnectionGetsOnlyClosed(t *testing.T) {
	hook, dead := deadLetters()
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if ctx.Message() != nil {
			if b, ok := ctx.Message().([]byte); ok && string(b) == "boom" {
				ctx.Send(ctx.Self(), "queued before the panic")
				panic("boom")
			}
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory, hook)
	c := dial(t, l.Addr())
	p.next(t, isOpened)
	_, err := c.Write([]byte("boom\nafter\n"))
	require.NoError(t, err)
	require.Equal(t, "boom", p.next(t, func(any) bool { return true }).msg)
	var pe *actor.PanicError
	ev := p.next(t, func(any) bool { return true })
	require.IsType(t, actor.Closed{}, ev.msg, "the next message after the panic is Closed")
	require.True(t, errors.As(ev.msg.(actor.Closed).Err, &pe))
	d := recv(t, dead)
	require.Equal(t, "queued before the panic", d.Message)
}

// Requests and asks to an actor that is gone reach the dead-letter hook
// (with the message they carried) as well as getting ErrNoActor.
func TestRequestsToGoneActorsAreDeadLetters(t *testing.T) {
	hook, dead := deadLetters()
	sys := startBare(t, actor.Shards(2), hook)
	gone, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if ctx.Message() == "stop" {
				ctx.Stop()
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, sys.Send(gone, "stop"))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.Eventually(t, func() bool {
		_, err := sys.Ask(ctx, gone, "ask")
		return errors.Is(err, actor.ErrNoActor)
	}, waitFor, time.Millisecond)
	d := recv(t, dead)
	for d.Message != "ask" { // an Ask that reached it before it was gone is no dead letter
		d = recv(t, dead)
	}
	require.Equal(t, gone, d.To)

	answers := make(chan actor.Response, 1)
	asker, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case string:
				ctx.Request(gone, "request", waitFor)
			case actor.Response:
				answers <- m
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, sys.Send(asker, "go"))
	require.ErrorIs(t, (recv(t, answers)).Err, actor.ErrNoActor)
	d = recv(t, dead)
	require.Equal(t, actor.DeadLetter{To: gone, From: asker, Message: "request"}, d)
	st := sys.Stats()
	var counted uint64
	for _, s := range st {
		counted += s.DeadLetters
	}
	require.GreaterOrEqual(t, counted, uint64(2))
}

// A fresh incarnation whose Started stops it: the message that was waiting
// behind Started is a dead letter, and Stopped still comes last.
func TestStartedThatStopsLeavesADeadLetter(t *testing.T) {
	hook, dead := deadLetters()
	sys := startBare(t, actor.Shards(1), hook)
	got := make(chan seen, 16)
	lives := 0
	id, err := sys.Spawn(func() actor.Actor {
		lives++
		life := lives
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			got <- seen{life: life, msg: ctx.Message()}
			switch ctx.Message() {
			case actor.Started{}:
				if life == 2 {
					ctx.Stop() // the fresh incarnation gives up at once
				}
			case "boom":
				ctx.Send(ctx.Self(), "after")
				panic("boom")
			}
		})
	}, actor.Supervise(actor.RestartOnFailure(5, time.Hour)))
	require.NoError(t, err)
	require.Equal(t, seen{1, actor.Started{}}, recv(t, got))
	require.NoError(t, sys.Send(id, "boom"))
	require.Equal(t, seen{1, "boom"}, recv(t, got))
	require.Equal(t, seen{2, actor.Started{}}, recv(t, got))
	require.Equal(t, seen{2, actor.Stopped{}}, recv(t, got))
	d := recv(t, dead)
	require.Equal(t, actor.DeadLetter{To: id, Message: "after"}, actor.DeadLetter{To: d.To, Message: d.Message})
}

// A panic in Stopped is reported as ActionStopped: the actor is going away,
// so it is not rebuilt from its factory.
func TestPanicInStoppedIsNotRestarted(t *testing.T) {
	failures := make(chan actor.Failure, 4)
	sys := startBare(t, actor.OnFailure(func(f actor.Failure) { failures <- f }))
	built := make(chan struct{}, 4)
	id, err := sys.Spawn(func() actor.Actor {
		built <- struct{}{}
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch ctx.Message().(type) {
			case string:
				ctx.Stop()
			case actor.Stopped:
				panic("in Stopped")
			}
		})
	}, actor.Supervise(actor.RestartOnFailure(5, time.Hour)))
	require.NoError(t, err)
	recv(t, built)
	require.NoError(t, sys.Send(id, "stop"))
	require.Equal(t, actor.ActionStopped, recv(t, failures).Action)
	select {
	case <-built:
		t.Fatal("the factory ran again for an actor that was stopping")
	case <-time.After(50 * time.Millisecond): // nothing should come; a short look suffices for the common case
	}
}
