// Command echo is Shoal's echo server: every connection is an actor that
// writes back the bytes it receives, exactly.
//
//	go run ./examples/echo -addr 127.0.0.1:9000
//	go run ./examples/echo -proto ws        # WebSocket: each message echoed with its kind
//
// With -proto ws the same port also serves a small page at / that talks to
// the socket at /echo from a browser.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/shoalrt/shoal/examples/internal/profile"
)

// echo is the connection actor. It has no state, so one value serves every
// connection. Over TCP every chunk read is a []byte; over WebSocket a binary
// message is a []byte and a text message a codec.Text, and writing it back
// keeps its kind.
type echo struct{}

func (echo) Receive(ctx *actor.Context) {
	switch msg := ctx.Message(); msg.(type) {
	case []byte, codec.Text:
		// Writing back the value received keeps its kind (binary or text)
		// and, unlike ctx.Write(m) with m re-boxed, allocates nothing.
		ctx.Write(msg)
	}
}

// config is what the flags set.
type config struct {
	addr   string
	shards int
	reuse  bool
	lb     string
	proto  string // tcp or ws
}

// page is served at / in WebSocket mode: a box whose lines the server echoes.
const page = `<!doctype html><meta charset="utf-8"><title>Shoal echo</title>
<input id="in" placeholder="type and press Enter" autofocus><pre id="out"></pre>
<script>
const ws = new WebSocket("ws://" + location.host + "/echo");
const out = document.getElementById("out");
ws.onmessage = (e) => out.textContent += e.data + "\n";
document.getElementById("in").onkeydown = (e) => {
  if (e.key === "Enter") { ws.send(e.target.value); e.target.value = ""; }
};
</script>`

// newCodec returns the codec of proto.
func newCodec(proto string) (codec.Codec, error) {
	switch proto {
	case "tcp":
		return codec.Bytes(codec.Raw()), nil
	case "ws":
		return websocket.NewRaw(websocket.Options{
			Path:        "/echo",
			Compression: true,
			HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, page)
			}),
		})
	}
	return nil, fmt.Errorf("echo: unknown protocol %q (want tcp or ws)", proto)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address: host:port, tcp://host:port or unix:///path")
	shards := flag.Int("shards", runtime.NumCPU(), "number of shards (event loops)")
	reuse := flag.Bool("reuseport", false, "one SO_REUSEPORT socket per shard; the kernel balances")
	lb := flag.String("lb", "round-robin", "load balancing: round-robin | least-conn | source-hash")
	proto := flag.String("proto", "tcp", "protocol: tcp (raw bytes) | ws (WebSocket at /echo, a page at /)")
	pprofAddr := flag.String("pprof", "", "serve Go's profiles at http://ADDR/debug/pprof/ (e.g. 127.0.0.1:6060); each shard's goroutine is labelled shoal.shard")
	flag.Parse()
	stopProfile, err := profile.Serve(*pprofAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer stopProfile()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := config{addr: *addr, shards: *shards, reuse: *reuse, lb: *lb, proto: *proto}
	err = serve(ctx, cfg, func(a net.Addr) {
		fmt.Printf("echo: %s on %s with %d shards (%s, reuseport=%v); Ctrl-C stops\n", cfg.proto, a, cfg.shards, cfg.lb, cfg.reuse)
		if cfg.proto == "ws" {
			fmt.Printf("echo: open http://%s/ in a browser, or connect to ws://%s/echo\n", a, a)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
}

// serve runs the echo server until ctx ends, then stops it gracefully.
// ready is called with the bound address once it accepts connections.
func serve(ctx context.Context, cfg config, ready func(net.Addr)) error {
	policy, err := actor.ParseBalance(cfg.lb)
	if err != nil {
		return err
	}
	c, err := newCodec(cfg.proto)
	if err != nil {
		return err
	}
	sys, err := actor.NewSystem(actor.Shards(cfg.shards), actor.ReusePort(cfg.reuse), actor.LoadBalancing(policy))
	if err != nil {
		return err
	}
	l, err := sys.Listen(cfg.addr, c, func() actor.Actor { return echo{} })
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
