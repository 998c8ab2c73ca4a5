package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// Ack acknowledges a chunk of BenchmarkRemoteSend's messages.
type Ack struct{}

// BenchmarkRemoteSend: an actor on node 1 sends Chat messages to an actor on
// node 2 through the embedded NATS server, in chunks of 1024 with at most 8
// unacknowledged (flow control, as a user would add it), against the same
// exchange written directly on nats.go (two connections to the same server,
// the same payload size, the same window, a receiving goroutine fed by a
// channel subscription as a node's is) in the same run. One op = one
// message.
func BenchmarkRemoteSend(b *testing.B) {
	const chunk, window = 1024, 8
	msg := Chat{From: "ann", Text: "a line of chat, about this long"}
	b.Run("Shoal", func(b *testing.B) {
		cfg := cluster.Config{Name: "bench", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Chat{}, Ack{}}}
		n1, err := cluster.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		sys1 := mustStart(b, 1, n1)
		cfg.Server, cfg.URL = nil, n1.ClientURL()
		n2, err := cluster.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		sys2 := mustStart(b, 2, n2)
		defer stopB(sys1)
		defer stopB(sys2)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := n1.WaitNodes(ctx, 2); err != nil {
			b.Fatal(err)
		}
		if err := n2.WaitNodes(ctx, 1); err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		var src actor.ID
		got := 0
		sink, err := sys2.Spawn(func() actor.Actor {
			return actor.ReceiveFunc(func(ctx *actor.Context) {
				if _, ok := ctx.Message().(Chat); !ok {
					return
				}
				if got++; got == b.N {
					close(done)
				} else if got%chunk == 0 {
					ctx.Send(src, Ack{})
				}
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		sent := 0
		send := func(ctx *actor.Context) {
			for end := min(sent+chunk, b.N); sent < end; sent++ {
				if err := ctx.Send(sink, msg); err != nil {
					b.Error(err)
				}
			}
		}
		src, err = sys1.Spawn(func() actor.Actor {
			return actor.ReceiveFunc(func(ctx *actor.Context) {
				switch ctx.Message().(type) {
				case string:
					for range window {
						send(ctx)
					}
				case Ack:
					send(ctx)
				}
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		sys1.Send(src, "go")
		<-done
	})
	b.Run("NATS", func(b *testing.B) {
		n1, err := cluster.New(cluster.Config{Name: "bench", Server: &natsserver.Server{Listen: "127.0.0.1:0"}})
		if err != nil {
			b.Fatal(err)
		}
		sys1 := mustStart(b, 1, n1) // only for its embedded server
		defer stopB(sys1)
		pub, err := nats.Connect(n1.ClientURL())
		if err != nil {
			b.Fatal(err)
		}
		defer pub.Close()
		sub, err := nats.Connect(n1.ClientURL())
		if err != nil {
			b.Fatal(err)
		}
		defer sub.Close()
		payload := make([]byte, 19+2+len(msg.From)+len(msg.Text)+16) // about what a Chat envelope takes
		acks := make(chan struct{}, window+1)
		if _, err := pub.Subscribe("ack", func(*nats.Msg) { acks <- struct{}{} }); err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		in := make(chan *nats.Msg, 1<<16) // as a node receives
		s, err := sub.ChanSubscribe("data", in)
		if err != nil {
			b.Fatal(err)
		}
		s.SetPendingLimits(-1, -1)
		go func() {
			for got := 1; ; got++ {
				<-in
				if got == b.N {
					close(done)
					return
				} else if got%chunk == 0 {
					sub.Publish("ack", nil)
				}
			}
		}()
		if err := sub.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := pub.Flush(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		sent, outstanding := 0, 0
		for sent < b.N {
			if outstanding == window {
				<-acks
				outstanding--
			}
			for end := min(sent+chunk, b.N); sent < end; sent++ {
				pub.Publish("data", payload)
			}
			outstanding++
		}
		<-done
	})
}

func mustStart(b *testing.B, node int, n *cluster.Node) *actor.System {
	sys, err := actor.NewSystem(actor.Node(node), actor.Shards(1), actor.Cluster(n))
	if err != nil {
		b.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		b.Fatal(err)
	}
	return sys
}

func stopB(sys *actor.System) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sys.Stop(ctx)
}
