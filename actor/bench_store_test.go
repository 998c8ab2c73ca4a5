package actor_test

// Benchmarks of groups with settings on the in-memory store.
//
//	StoredPublish = an actor publishes to a group with history (stored,
//	positioned, delivered from the store) with 10 members on 2 shards; one
//	op = one publication delivered to all 10. Baseline = the same
//	publications to a plain group, in the same run.
//	IdleHistoryGroups = memory held by 10 000 groups with history, each
//	with one publication of 32 bytes and no traffic (reported as B/group).

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
)

func BenchmarkStoredPublish(b *testing.B) {
	for _, group := range []string{"plain", "room:kept"} {
		b.Run(map[string]string{"plain": "Baseline", "room:kept": "Stored"}[group], func(b *testing.B) {
			sys, err := actor.NewSystem(actor.Shards(2), actor.Groups(actor.GroupSettings{Pattern: "room:*", History: 1000}))
			if err != nil {
				b.Fatal(err)
			}
			if err := sys.Start(); err != nil {
				b.Fatal(err)
			}
			defer sys.Stop(context.Background())
			const members = 10
			var delivered atomic.Int64
			done := make(chan struct{}, 1)
			target := atomic.Int64{}
			for range members {
				id, err := sys.Spawn(func() actor.Actor {
					return actor.ReceiveFunc(func(c *actor.Context) {
						switch c.Message().(type) {
						case do:
							c.Message().(do)(c)
						case string:
							if delivered.Add(1) == target.Load() {
								done <- struct{}{}
							}
						}
					})
				})
				if err != nil {
					b.Fatal(err)
				}
				joined := make(chan struct{})
				sys.Send(id, do(func(c *actor.Context) { c.Join(group); close(joined) }))
				<-joined
			}
			pub, err := sys.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(c *actor.Context) {
					if f, ok := c.Message().(do); ok {
						f(c)
					}
				})
			})
			if err != nil {
				b.Fatal(err)
			}
			msg := "a line of thirty-two bytes, ok."
			b.ReportAllocs()
			b.ResetTimer()
			const batch = 64
			for sent := 0; sent < b.N; sent += batch {
				n := min(batch, b.N-sent)
				delivered.Store(0)
				target.Store(int64(n * members))
				sys.Send(pub, do(func(c *actor.Context) {
					for range n {
						if err := c.Publish(group, msg); err != nil {
							panic(err)
						}
					}
				}))
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					b.Fatalf("delivered %d of %d", delivered.Load(), n*members)
				}
			}
		})
	}
}

func BenchmarkIdleHistoryGroups(b *testing.B) {
	const groups = 10_000
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		sys, err := actor.NewSystem(actor.Groups(actor.GroupSettings{Pattern: "room:*", History: 100, Presence: true}))
		if err != nil {
			b.Fatal(err)
		}
		if err := sys.Start(); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for i := range groups {
			if _, err := sys.PublishAck(ctx, fmt.Sprint("room:", i), "k", "a line of thirty-two bytes, ok."); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/groups, "B/group")
		sys.Stop(ctx)
	}
}
