// Command push is a server that talks first: every connected client gets a
// line each interval, without asking. One spawned ticker actor publishes to
// the group "subscribers"; every connection actor joins it when it opens and
// writes what is published to its peer.
//
//	go run ./examples/push -addr 127.0.0.1:9001 -interval 1s
//	nc 127.0.0.1 9001
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
	"github.com/shoalrt/shoal/examples/internal/profile"
)

// group is the name of the group every connection joins.
const group = "subscribers"

// tick is the ticker's timer message.
type tick struct{}

// ticker counts its ticks and publishes each one to the group.
type ticker struct {
	every time.Duration
	n     int
}

func (t *ticker) Receive(ctx *actor.Context) {
	switch ctx.Message().(type) {
	case actor.Started:
		if _, err := ctx.Every(t.every, tick{}); err != nil {
			log.Printf("push: ticker: %v", err)
		}
	case tick:
		t.n++
		ctx.Publish(group, fmt.Sprintf("tick %d %s", t.n, time.Now().Format(time.RFC3339Nano)))
	}
}

// subscriber is the connection actor: it joins the group and forwards what
// the ticker publishes. Lines the client sends are ignored.
type subscriber struct{}

func (subscriber) Receive(ctx *actor.Context) {
	switch msg := ctx.Message().(type) {
	case actor.Opened:
		ctx.Join(group)
	case string:
		ctx.Write(msg)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "listen address: host:port, tcp://host:port or unix:///path")
	shards := flag.Int("shards", runtime.NumCPU(), "number of shards (event loops)")
	interval := flag.Duration("interval", time.Second, "time between ticks")
	pprofAddr := flag.String("pprof", "", "serve Go's profiles at http://ADDR/debug/pprof/ (e.g. 127.0.0.1:6060); each shard's goroutine is labelled shoal.shard")
	flag.Parse()
	stopProfile, err := profile.Serve(*pprofAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer stopProfile()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = serve(ctx, *addr, *shards, *interval, func(a net.Addr) {
		fmt.Printf("push: listening on %s with %d shards, a tick every %v; Ctrl-C stops\n", a, *shards, *interval)
	})
	if err != nil {
		log.Fatal(err)
	}
}

// serve runs the push server until ctx ends, then stops it gracefully.
// ready is called with the bound address once it accepts connections.
func serve(ctx context.Context, addr string, shards int, interval time.Duration, ready func(net.Addr)) error {
	if interval <= 0 {
		return fmt.Errorf("push: interval %v: must be positive", interval)
	}
	sys, err := actor.NewSystem(actor.Shards(shards))
	if err != nil {
		return err
	}
	l, err := sys.Listen(addr, codec.Bytes(codec.Line()), func() actor.Actor { return subscriber{} })
	if err != nil {
		sys.Stop(context.Background())
		return err
	}
	if err := sys.Start(); err != nil {
		return err
	}
	if _, err := sys.Spawn(func() actor.Actor { return &ticker{every: interval} }); err != nil {
		sys.Stop(context.Background())
		return err
	}
	ready(l.Addr())
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sys.Stop(stopCtx)
}
