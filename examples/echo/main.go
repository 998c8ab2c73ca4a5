// Command echo is Shoal's echo server: every connection is an actor that
// writes back the bytes it receives, exactly.
//
//	go run ./examples/echo -addr 127.0.0.1:9000
//	go run ./examples/echo -proto ws        # WebSocket: each message echoed with its kind
//	go run ./examples/echo -tls-cert cert.pem -tls-key key.pem   # the same over TLS
//
// With -proto ws the same port also serves a small page at / that talks to
// the socket at /echo from a browser. With -tls-cert and -tls-key (PEM
// files, reloaded when they change) the listener speaks TLS: tls:// for
// tcp, wss:// and https for ws; docs/operating.md shows how to make a local
// test certificate.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/shoalrt/shoal/examples/internal/certfile"
	"github.com/shoalrt/shoal/examples/internal/profile"
)

// listenAddr is the address and options to listen with: over TLS, the
// host:port of -addr as tls:// (tcp) or wss:// (ws).
func listenAddr(cfg config) (string, []actor.ConnOption, error) {
	if cfg.tls == nil {
		return cfg.addr, nil, nil
	}
	hostport := strings.TrimPrefix(cfg.addr, "tcp://")
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		return "", nil, fmt.Errorf("echo: TLS needs a host:port address, not %q", cfg.addr)
	}
	scheme := "tls://"
	if cfg.proto == "ws" {
		scheme = "wss://"
	}
	return scheme + hostport, []actor.ConnOption{actor.TLS(cfg.tls)}, nil
}

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
	proto  string      // tcp or ws
	tls    *tls.Config // nil for plain TCP
}

// page is served at / in WebSocket mode: a box whose lines the server echoes.
const page = `<!doctype html><meta charset="utf-8"><title>Shoal echo</title>
<input id="in" placeholder="type and press Enter" autofocus><pre id="out"></pre>
<script>
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/echo");
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
	certFile := flag.String("tls-cert", "", "PEM certificate (chain) file: with -tls-key, serve TLS (tls:// for tcp, wss:// and https for ws)")
	keyFile := flag.String("tls-key", "", "PEM private key file of -tls-cert")
	pprofAddr := flag.String("pprof", "", "serve Go's profiles at http://ADDR/debug/pprof/ (e.g. 127.0.0.1:6060); each shard's goroutine is labelled shoal.shard")
	flag.Parse()
	stopProfile, err := profile.Serve(*pprofAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer stopProfile()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tlsCfg, err := certfile.Flags(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	cfg := config{addr: *addr, shards: *shards, reuse: *reuse, lb: *lb, proto: *proto, tls: tlsCfg}
	err = serve(ctx, cfg, func(a net.Addr) {
		secure := ""
		if cfg.tls != nil {
			secure = " over TLS"
		}
		fmt.Printf("echo: %s%s on %s with %d shards (%s, reuseport=%v); Ctrl-C stops\n", cfg.proto, secure, a, cfg.shards, cfg.lb, cfg.reuse)
		if cfg.proto == "ws" {
			web, ws := "http", "ws"
			if cfg.tls != nil {
				web, ws = "https", "wss"
			}
			fmt.Printf("echo: open %s://%s/ in a browser, or connect to %s://%s/echo\n", web, a, ws, a)
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
	addr, opts, err := listenAddr(cfg)
	if err != nil {
		sys.Stop(context.Background())
		return err
	}
	l, err := sys.Listen(addr, c, func() actor.Actor { return echo{} }, opts...)
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
