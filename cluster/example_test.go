package cluster_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// Greeting crosses nodes in the example.
type Greeting struct{ Text string }

// Two systems in one process, nodes 1 and 2 of a cluster: node 1 runs the
// embedded NATS server, node 2 joins through it, and an actor on node 1
// greets one on node 2, which answers its sender.
func Example() {
	cfg := cluster.Config{Name: "example", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Greeting{}}}
	n1, _ := cluster.New(cfg)
	sys1, _ := actor.NewSystem(actor.Node(1), actor.Cluster(n1))
	if err := sys1.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer sys1.Stop(context.Background())

	cfg.Server, cfg.URL = nil, n1.ClientURL() // node 2 connects by URL, as other processes would
	n2, _ := cluster.New(cfg)
	sys2, _ := actor.NewSystem(actor.Node(2), actor.Cluster(n2))
	if err := sys2.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer sys2.Stop(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n1.WaitNodes(ctx, 2)
	n2.WaitNodes(ctx, 1)

	done := make(chan string)
	greeter, _ := sys2.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if g, ok := ctx.Message().(Greeting); ok {
				ctx.Send(ctx.Sender(), Greeting{Text: g.Text + ", back from node 2"})
			}
		})
	})
	caller, _ := sys1.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.ID:
				ctx.Send(m, Greeting{Text: "hello from node 1"})
			case Greeting:
				done <- m.Text
			}
		})
	})
	sys1.Send(caller, greeter)
	fmt.Println(<-done)
	// Output: hello from node 1, back from node 2
}
