// Command embedded is a cluster node that runs the embedded NATS server:
// the control of TestExternalNodeLinksNoNATSServer, and the build measured
// against testdata/external.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

func main() {
	listen := flag.String("nats-listen", natsserver.DefaultListen, "address of the embedded NATS server")
	number := flag.Int("node", 1, "node number")
	flag.Parse()
	node, err := cluster.New(cluster.Config{Server: &natsserver.Server{Listen: *listen}})
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
