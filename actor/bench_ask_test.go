package actor_test

import (
	"context"
	"testing"

	"github.com/shoalrt/shoal/actor"
)

// BenchmarkAsk: a goroutine outside the system asks a spawned actor and
// waits for its answer, one at a time. One op = one request answered.
// Baseline = the same round trip to a goroutine over two unbuffered
// channels, in the same run.
func BenchmarkAsk(b *testing.B) {
	b.Run("actor", func(b *testing.B) {
		sys, err := actor.NewSystem()
		if err != nil {
			b.Fatal(err)
		}
		if err := sys.Start(); err != nil {
			b.Fatal(err)
		}
		defer sys.Stop(context.Background())
		id, err := sys.Spawn(func() actor.Actor {
			return actor.ReceiveFunc(func(ctx *actor.Context) { ctx.Respond(ctx.Message()) })
		})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sys.Ask(ctx, id, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("channel", func(b *testing.B) {
		req, resp := make(chan any), make(chan any)
		go func() {
			for m := range req {
				resp <- m
			}
		}()
		defer close(req)
		b.ReportAllocs()
		for b.Loop() {
			req <- 1
			<-resp
		}
	})
}
