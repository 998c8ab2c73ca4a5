// Command echo is Shoal's echo server: every connection is an actor that
// writes back the bytes it receives, exactly.
//
//	go run ./examples/echo -addr 127.0.0.1:9000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// echo is the connection actor. It has no state, so one value serves every
// connection.
type echo struct{}

func (echo) Receive(ctx *actor.Context) {
	if b, ok := ctx.Message().([]byte); ok {
		ctx.WriteBytes(b)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address: host:port, tcp://host:port or unix:///path")
	shards := flag.Int("shards", runtime.NumCPU(), "number of shards (event loops)")
	reuse := flag.Bool("reuseport", false, "one SO_REUSEPORT socket per shard; the kernel balances")
	lb := flag.String("lb", "round-robin", "load balancing: round-robin | least-conn | source-hash")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := serve(ctx, *addr, *shards, *reuse, *lb, func(a net.Addr) {
		fmt.Printf("echo: listening on %s with %d shards (%s, reuseport=%v); Ctrl-C stops\n", a, *shards, *lb, *reuse)
	})
	if err != nil {
		log.Fatal(err)
	}
}

// serve runs the echo server until ctx ends, then stops it gracefully.
// ready is called with the bound address once it accepts connections.
func serve(ctx context.Context, addr string, shards int, reuse bool, lb string, ready func(net.Addr)) error {
	policy, err := actor.ParseBalance(lb)
	if err != nil {
		return err
	}
	sys, err := actor.NewSystem(actor.Shards(shards), actor.ReusePort(reuse), actor.LoadBalancing(policy))
	if err != nil {
		return err
	}
	l, err := sys.Listen(addr, codec.Raw(), func() actor.Actor { return echo{} })
	if err != nil {
		sys.Stop(context.Background())
		return err
	}
	if err := sys.Start(); err != nil {
		return err
	}
	ready(l.Addr())
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sys.Stop(stopCtx)
}
