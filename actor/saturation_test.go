package actor_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/stretchr/testify/require"
)

// TestShardsSaturatingEachOtherNeverDeadlock has an actor on every shard send
// a burst to every other actor, through inboxes far smaller than the burst,
// from inside Receive. Every message arrives, or (with a tight retry bound)
// is dropped with ErrInboxFull and counted; nothing blocks.
func TestShardsSaturatingEachOtherNeverDeadlock(t *testing.T) {
	tests := []struct {
		name     string
		maxRetry int
		lossy    bool
	}{
		{name: "retry absorbs the burst", maxRetry: 1 << 20},
		{name: "retry bound drops the excess", maxRetry: 16, lossy: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const shards, burst = 4, 5000
			sys := startBare(t, actor.Shards(shards), actor.InboxSize(64), actor.MaxRetry(tt.maxRetry))
			var received, overflowed atomic.Int64
			ids := make(chan actor.ID, shards)
			done := make(chan struct{}, shards)
			for i := 0; i < shards; i++ {
				id, err := sys.Spawn(func() actor.Actor {
					return actor.ReceiveFunc(func(ctx *actor.Context) {
						switch m := ctx.Message().(type) {
						case actor.Started:
							ids <- ctx.Self()
						case []actor.ID:
							for n := 0; n < burst; n++ {
								for _, to := range m {
									if to == ctx.Self() {
										continue
									}
									if err := ctx.Send(to, n); err != nil {
										if !errors.Is(err, actor.ErrInboxFull) {
											panic(err)
										}
										overflowed.Add(1)
									}
								}
							}
							done <- struct{}{}
						case int:
							received.Add(1)
						}
					})
				})
				require.NoError(t, err)
				_ = id
			}
			var all []actor.ID
			for i := 0; i < shards; i++ {
				all = append(all, <-ids)
			}
			for _, id := range all {
				// The first bursts may already fill the 64-slot inboxes: an
				// outside sender gets ErrInboxFull then, and tries again.
				err := sys.Send(id, all)
				for errors.Is(err, actor.ErrInboxFull) {
					err = sys.Send(id, all)
				}
				require.NoError(t, err)
			}
			for i := 0; i < shards; i++ {
				<-done
			}
			const sent = shards * (shards - 1) * burst
			require.Eventually(t, func() bool { return received.Load()+overflowed.Load() == sent },
				waitFor, time.Millisecond)
			if tt.lossy {
				require.Positive(t, overflowed.Load())
				var dead uint64
				for _, s := range sys.Stats() {
					dead += s.DeadLetters
				}
				require.Equal(t, uint64(overflowed.Load()), dead)
			} else {
				require.Zero(t, overflowed.Load())
			}
		})
	}
}
