// Command shoalroom is Shoal's chat room, the base of bench/cmd/compare's
// room scenarios: every connection is an actor that joins the group "room";
// a line from the wire is published to the group, and a line from the group
// is written to the actor's peer. Every member, the sender included, gets
// every line.
//
//	shoalroom -addr 127.0.0.1:9005 -shards 1
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// member is the connection actor; it has no state.
type member struct{}

func (member) Receive(ctx *actor.Context) {
	switch m := ctx.Message().(type) {
	case actor.Opened:
		ctx.Join("room")
	case []byte:
		if ctx.Sender().IsZero() {
			ctx.Publish("room", m) // from the wire: publish (the runtime copies a wire frame once)
		} else {
			ctx.WriteBytes(m) // from the group: write to my peer
		}
	}
}

// caster is the -broadcast variant: a line from the wire is broadcast to the
// group's connections, encoded once per shard and shared by every member's
// connection; no member actor runs for it.
type caster struct{}

func (caster) Receive(ctx *actor.Context) {
	switch m := ctx.Message().(type) {
	case actor.Opened:
		ctx.Join("room")
	case []byte:
		ctx.Broadcast("room", m)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9005", "TCP address to listen on")
	shards := flag.Int("shards", 1, "number of shards (event loops)")
	broadcast := flag.Bool("broadcast", false, "fan out with Context.Broadcast (shared bytes) instead of Publish")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sys, err := actor.NewSystem(actor.Shards(*shards))
	if err != nil {
		log.Fatal(err)
	}
	factory := func() actor.Actor { return member{} }
	if *broadcast {
		factory = func() actor.Actor { return caster{} }
	}
	l, err := sys.Listen(*addr, codec.Bytes(codec.Line()), factory)
	if err != nil {
		log.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		log.Fatal(err)
	}
	log.Printf("shoalroom listening on %s with %d shards", l.Addr(), *shards)
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sys.Stop(stopCtx); err != nil {
		log.Fatal(err)
	}
}
