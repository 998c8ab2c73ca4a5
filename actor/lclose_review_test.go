package actor_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// A Close that could not reach a shard (its inbox full) must leave the
// listener closable: a later Close must close it, not report it closed while
// one shard's socket still accepts.
func TestReviewCloseAfterFullInbox(t *testing.T) {
	p := newProbe()
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory,
		actor.Shards(2), actor.ReusePort(true), actor.InboxSize(64), actor.SendWait(0))
	release := make(chan struct{})
	blocked := make(chan struct{})
	var victim actor.ID
	for {
		id, err := sys.Spawn(func() actor.Actor {
			return actor.ReceiveFunc(func(ctx *actor.Context) {
				if ctx.Message() == "block" {
					close(blocked)
					<-release
				}
			})
		})
		require.NoError(t, err)
		if id.Shard() == 1 {
			victim = id
			break
		}
	}
	require.NoError(t, sys.Send(victim, "block"))
	<-blocked
	for {
		if err := sys.Send(victim, "fill"); errors.Is(err, actor.ErrInboxFull) {
			break
		}
	}
	err := l.Close()
	t.Logf("first Close: %v", err)
	close(release)
	err2 := l.Close()
	t.Logf("second Close: %v", err2)
	// Does the listener still accept?
	accepted := 0
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", l.Addr().String(), time.Second)
		if err == nil {
			accepted++
			c.Close()
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	serr := l.Shutdown(ctx)
	t.Logf("Shutdown: %v", serr)
	require.Zero(t, accepted, "the listener still accepts after Close returned %v then %v", err, err2)
}
