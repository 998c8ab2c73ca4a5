// Command shoalws is Shoal's WebSocket echo, the base of bench/cmd/compare's
// ws scenarios: every connection is an actor behind the raw WebSocket codec;
// a binary message arrives as []byte, a text message as codec.Text, and the
// actor writes it back with ctx.Write, which keeps its opcode.
//
//	shoalws -addr 127.0.0.1:9007 -shards 1
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
)

// echo is the connection actor. It has no state, so one value serves every
// connection.
type echo struct{}

func (echo) Receive(ctx *actor.Context) {
	switch msg := ctx.Message(); msg.(type) {
	case []byte, codec.Text:
		// Writing back the value received (not a re-boxed slice) keeps its
		// kind and allocates nothing.
		_ = ctx.Write(msg)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9007", "TCP address to listen on")
	shards := flag.Int("shards", 1, "number of shards (event loops)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := serve(ctx, *addr, *shards, func(a net.Addr) {
		log.Printf("shoalws listening on %s with %d shards", a, *shards)
	})
	if err != nil {
		log.Print(err)
	}
}

// serve runs the WebSocket echo on addr until ctx ends, then stops it
// gracefully. ready is called with the bound address once it accepts
// connections.
func serve(ctx context.Context, addr string, shards int, ready func(net.Addr)) error {
	sys, err := actor.NewSystem(actor.Shards(shards))
	if err != nil {
		return err
	}
	l, err := sys.Listen("tcp://"+addr, websocket.Raw(websocket.Options{}), func() actor.Actor { return echo{} })
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
