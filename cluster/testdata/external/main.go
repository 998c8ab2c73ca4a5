// Command external is a cluster node that connects to NATS servers by URL:
// the build TestExternalNodeLinksNoNATSServer checks, and the one measured
// against testdata/embedded.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
)

func main() {
	url := flag.String("nats", "nats://127.0.0.1:4222", "NATS servers")
	number := flag.Int("node", 1, "node number")
	flag.Parse()
	node, err := cluster.New(cluster.Config{URL: *url})
	if err != nil {
		log.Fatal(err)
	}
	sys, err := actor.NewSystem(actor.Node(*number), actor.Cluster(node))
	if err != nil {
		log.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	sys.Stop(context.Background())
}
