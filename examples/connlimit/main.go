// Command connlimit is a line-echo server that protects itself: at most -max
// connections are served at once (the next ones read a refusal and are
// closed), and a connection that stays silent for -idle is closed. Each
// client is greeted with its actor's ID; each close is logged with its
// reason.
//
//	go run ./examples/connlimit -addr 127.0.0.1:9002 -max 2 -idle 30s
//	nc 127.0.0.1 9002
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/examples/internal/profile"
)

// refusal is what a client over the limit reads before its connection closes.
var refusal = []byte("server full, try later\n")

// echo greets its client, writes back every line, and logs why it closed.
type echo struct {
	log *log.Logger
}

func (e echo) Receive(ctx *actor.Context) {
	switch msg := ctx.Message().(type) {
	case actor.Opened:
		ctx.Write("hello, you are " + ctx.Self().String())
	case []byte:
		ctx.WriteBytes(msg)
	case actor.Closed:
		switch {
		case msg.Err == nil:
			e.log.Printf("%v: closed by the client", ctx.Self())
		case errors.Is(msg.Err, actor.ErrIdle):
			e.log.Printf("%v: closed after staying idle", ctx.Self())
		default:
			e.log.Printf("%v: closed: %v", ctx.Self(), msg.Err)
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9002", "listen address: host:port, tcp://host:port or unix:///path")
	max := flag.Int("max", 100, "connections served at once")
	idle := flag.Duration("idle", 5*time.Minute, "close connections silent for this long")
	pprofAddr := flag.String("pprof", "", "serve Go's profiles at http://ADDR/debug/pprof/ (e.g. 127.0.0.1:6060); each shard's goroutine is labelled shoal.shard")
	flag.Parse()
	stopProfile, err := profile.Serve(*pprofAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer stopProfile()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := log.New(os.Stderr, "connlimit: ", log.LstdFlags)
	err = serve(ctx, *addr, *max, *idle, logger, func(a net.Addr) {
		fmt.Printf("connlimit: listening on %s, at most %d connections, idle timeout %v; Ctrl-C stops\n", a, *max, *idle)
	})
	if err != nil {
		log.Fatal(err)
	}
}

// serve runs the server until ctx ends, then stops it gracefully. ready is
// called with the bound address once it accepts connections.
func serve(ctx context.Context, addr string, max int, idle time.Duration, logger *log.Logger, ready func(net.Addr)) error {
	if max <= 0 || idle <= 0 {
		return fmt.Errorf("connlimit: -max %d -idle %v: both must be positive", max, idle)
	}
	sys, err := actor.NewSystem()
	if err != nil {
		return err
	}
	l, err := sys.Listen(addr, codec.Bytes(codec.Line()), func() actor.Actor { return echo{log: logger} },
		actor.MaxConns(max, refusal), actor.IdleTimeout(idle))
	if err != nil {
		sys.Stop(context.Background())
		return err
	}
	if err := sys.Start(); err != nil {
		return err
	}
	ready(l.Addr())
	<-ctx.Done()
	logger.Printf("stopping: %d open, %d accepted, %d refused", l.Open(), l.Accepted(), l.Refused())
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sys.Stop(stopCtx)
}
