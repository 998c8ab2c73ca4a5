package actor_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// blocker is an actor whose "block" message stalls its shard until release
// is closed (so its inbox fills), and which reports every int it receives.
func blocker(blocked chan<- struct{}, release <-chan struct{}, got chan<- int) actor.Factory {
	return func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case string:
				blocked <- struct{}{}
				<-release // a stand-in for a shard that is far behind
			case int:
				got <- m
			}
		})
	}
}

// parkedSenders counts goroutines parked in an inbox, waiting for room
// (blocked in a select, using no processor).
func parkedSenders() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[select") && strings.Contains(g, "mailbox.(*Inbox[...]).park") {
			n++
		}
	}
	return n
}

// A send from outside into a full inbox parks — it does not spin — until
// the shard frees room, then goes in: nothing is lost or reordered.
func TestSendIntoAFullInboxParksUntilThereIsRoom(t *testing.T) {
	const n = 100
	blocked, release, got := make(chan struct{}, 1), make(chan struct{}), make(chan int, n)
	sys := startBare(t, actor.Shards(1), actor.InboxSize(16), actor.SendWait(time.Hour))
	id, err := sys.Spawn(blocker(blocked, release, got))
	require.NoError(t, err)
	require.NoError(t, sys.Send(id, "block"))
	recv(t, blocked)
	sent := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if err := sys.Send(id, i); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	require.Eventually(t, func() bool { return parkedSenders() == 1 }, waitFor, time.Millisecond,
		"the sender parks once the inbox is full")
	close(release)
	require.NoError(t, recv(t, sent))
	for i := 0; i < n; i++ {
		require.Equal(t, i, recv(t, got))
	}
}

// A send that finds the inbox full for longer than SendWait fails with
// ErrInboxFull; on a shard's goroutine it fails at once, without parking,
// however long SendWait is.
func TestSendIntoAFullInboxGivesUp(t *testing.T) {
	t.Run("after SendWait", func(t *testing.T) {
		blocked, release, got := make(chan struct{}, 1), make(chan struct{}), make(chan int, 64)
		sys := startBare(t, actor.Shards(1), actor.InboxSize(16), actor.SendWait(20*time.Millisecond))
		id, err := sys.Spawn(blocker(blocked, release, got))
		require.NoError(t, err)
		require.NoError(t, sys.Send(id, "block"))
		recv(t, blocked)
		var sendErr error
		for i := 0; i < 64 && sendErr == nil; i++ {
			sendErr = sys.Send(id, i)
		}
		require.ErrorIs(t, sendErr, actor.ErrInboxFull)
		close(release)
	})
	t.Run("on a shard", func(t *testing.T) {
		blocked, release, got := make(chan struct{}, 1), make(chan struct{}), make(chan int, 64)
		sys := startBare(t, actor.Shards(2), actor.InboxSize(16), actor.SendWait(time.Hour))
		var target actor.ID
		for target == 0 || target.Shard() != 1 { // the blocked one on shard 1, the sender on shard 0
			id, err := sys.Spawn(blocker(blocked, release, got))
			require.NoError(t, err)
			target = id
		}
		require.NoError(t, sys.Send(target, "block"))
		recv(t, blocked)
		errs := make(chan error, 1)
		var sender actor.ID
		for sender == 0 || sender.Shard() != 0 {
			id, err := sys.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(ctx *actor.Context) {
					if ctx.Message() != "go" {
						return
					}
					var err error
					for i := 0; i < 64 && err == nil; i++ {
						err = ctx.System().Send(target, i) // the wrong call in Receive, on purpose
					}
					errs <- err
				})
			})
			require.NoError(t, err)
			sender = id
		}
		require.NoError(t, sys.Send(sender, "go"))
		require.ErrorIs(t, recv(t, errs), actor.ErrInboxFull)
		close(release)
	})
}

// A sender parked on a full inbox when the system stops is woken and told
// (ErrStopped), and every send that reported success was either delivered
// or counted and handed over as a dead letter: none vanishes into the inbox
// of a shard that has exited.
func TestSendParkedAcrossStopIsNotLost(t *testing.T) {
	hook, dead := deadLetters()
	blocked, release, got := make(chan struct{}, 1), make(chan struct{}), make(chan int, 1000)
	sys := startBare(t, actor.Shards(1), actor.InboxSize(16), actor.SendWait(time.Hour), hook)
	id, err := sys.Spawn(blocker(blocked, release, got))
	require.NoError(t, err)
	require.NoError(t, sys.Send(id, "block"))
	recv(t, blocked)
	sent := make(chan int, 1)
	errs := make(chan error, 1)
	go func() {
		n := 0
		for {
			if err := sys.Send(id, n); err != nil {
				sent <- n
				errs <- err
				return
			}
			n++
		}
	}()
	require.Eventually(t, func() bool { return parkedSenders() == 1 }, waitFor, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- sys.Stop(ctx) }()
	require.ErrorIs(t, recv(t, stopped), context.DeadlineExceeded)
	close(release) // the shard exits now
	require.ErrorIs(t, recv(t, errs), actor.ErrStopped)
	n := recv(t, sent)
	accounted := 0
	for accounted < n {
		select {
		case <-got:
		case d := <-dead:
			require.Equal(t, id, d.To)
		case <-time.After(waitFor):
			t.Fatalf("%d of %d successful sends accounted for", accounted, n)
		}
		accounted++
	}
}

// Stop returns at its deadline even while the acceptor is parked handing a
// new connection to a shard whose inbox stays full (an actor is stuck in
// Receive), and everything exits once that actor returns.
func TestStopWithTheAcceptorWaitingOnAFullShard(t *testing.T) {
	blocked, release, got := make(chan struct{}, 1), make(chan struct{}), make(chan int, 1000)
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory,
		actor.Shards(2), actor.InboxSize(16), actor.SendWait(time.Hour)) // two shards: one alone accepts on its own, without the acceptor
	id, err := sys.Spawn(blocker(blocked, release, got))
	require.NoError(t, err)
	require.NoError(t, sys.Send(id, "block"))
	recv(t, blocked)
	go func() {
		for i := 0; sys.Send(id, i) == nil; i++ { // fills the inbox, then parks until the shard exits
		}
	}()
	require.Eventually(t, func() bool { return parkedSenders() == 1 }, waitFor, time.Millisecond)
	dial(t, l.Addr()) // round-robin: one of the two goes to the full shard, and the acceptor parks there too
	dial(t, l.Addr())
	require.Eventually(t, func() bool { return parkedSenders() == 2 }, waitFor, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- sys.Stop(ctx) }()
	require.ErrorIs(t, recv(t, stopped), context.DeadlineExceeded)
	close(release) // startSystem's cleanup checks that every goroutine and descriptor is gone
}
