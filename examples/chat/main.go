// Command chat is a chat server people can run: rooms that keep their
// recent history, who is in each room across every node, nicknames unique
// in the whole cluster, private messages, flood control, and clients that
// reconnect without losing or doubling a line — over WebSocket (the page,
// or any client of the JavaScript library in js/) and over plain TCP text
// lines (nc, telnet), in the same rooms.
//
//	go run ./examples/chat
//
// then open http://127.0.0.1:9100/ in two browser tabs (the page, its
// WebSocket at /ws and the client library at /shoal.js share the port;
// http://127.0.0.1:9100/#room=lobby&name=ann joins at once), or talk over
// TCP as a person types:
//
//	nc 127.0.0.1 9101
//	/nick bob
//	/join lobby
//	hello, everyone
//	/who
//	/msg ann see you later
//
// PROTOCOL.md documents both protocols: the TCP commands (/nick, /join,
// /leave, /who, /rooms, /msg, /help, /quit; any other line is said to the
// current room; every error line starts with "error:"), and the WebSocket
// JSON messages (hello, nick, join, leave, say, msg, who, rooms; line,
// joined, members, presence, private, ack, gap, error), with the limits
// (nicks, room names, 4 KiB lines, flood control).
//
// How it is built. Every connection is an actor (member.go); both
// listeners decode into the same Go types (protocol.go): JSON on the
// WebSocket, text lines on TCP (text.go). A room is a group with history
// and presence (actor.Groups, "room:*"): a line is published with
// PublishAck and an idempotency key scoped by the client's session, stored
// (in memory standalone, in NATS JetStream on a cluster) and acknowledged
// with its position; joining replays the room's last lines (JoinWith with
// Recover), or everything after the position a reconnecting client gives;
// the member list is the group's presence (Members, WatchPresence), which
// drops the members of a node that dies. A nick is a name in the cluster's
// name registry (RegisterName of its lower-case form), and /msg is a
// LookupName then a Send to whatever node holds it.
//
// Every chat server is a node of a cluster. The first one runs an embedded
// NATS server with JetStream (on 127.0.0.1:4222); start more nodes beside
// it, each with its own number and ports:
//
//	go run ./examples/chat -node 2 -nats nats://127.0.0.1:4222 -web 127.0.0.1:9200 -tcp 127.0.0.1:9201 \
//		-peers ws://127.0.0.1:9100/ws
//
// and people on either node meet in the same rooms. -peers lists the other
// nodes' WebSocket URLs: the page reconnects there when its own node is
// gone. -standalone runs a single server without a cluster, every feature
// kept in memory (lost when it stops).
//
// On several machines each node can run its own embedded NATS server, the
// servers routed into one NATS cluster (no NATS to install; see
// docs/cluster.md): give every node the same -nats-routes, its own
// -nats-cluster address, and a -nats-data directory for JetStream:
//
//	go run ./examples/chat -node 1 -nats-listen a:4222 -nats-cluster a:6222 \
//		-nats-routes nats-route://a:6222,nats-route://b:6222,nats-route://c:6222 -nats-data /var/lib/chat
//
// With -tls-cert FILE and -tls-key FILE (a PEM certificate and its key,
// reloaded when the files change) both listeners speak TLS: the page is
// served over https and its WebSocket is wss:// (the page picks wss:// when
// it was loaded over https), and the TCP listener is tls://:
//
//	go run ./examples/chat -tls-cert cert.pem -tls-key key.pem
//	openssl s_client -quiet -connect 127.0.0.1:9101 -CAfile cert.pem
//
// docs/operating.md shows how to make a local test certificate. Flood
// control is -rate, -burst and -strikes; a room's history -history and
// -history-age.
package main

import (
	"context"
	"crypto/tls"
	_ "embed"
	"encoding/json"
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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/actor/metrics"
	"github.com/shoalrt/shoal/cluster"
	clustermetrics "github.com/shoalrt/shoal/cluster/metrics"
	"github.com/shoalrt/shoal/cluster/natsserver"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/shoalrt/shoal/examples/internal/certfile"
	"github.com/shoalrt/shoal/examples/internal/profile"
	shoaljs "github.com/shoalrt/shoal/js"
)

// config is what the flags set.
type config struct {
	web, tcp   string // listen addresses: the page and WebSocket, and TCP
	shards     int
	node       int    // this server's node number in the cluster
	nats       string // NATS servers to join; "" runs an embedded one on natsListen
	natsListen string
	// With the embedded server: routes to the other nodes' servers (one NATS
	// cluster), and JetStream's data directory.
	natsCluster, natsRoutes, natsData string
	heartbeat                         time.Duration // the cluster's heartbeat period
	standalone                        bool          // no cluster
	metrics                           string        // address of a Prometheus /metrics endpoint; "" for none
	tls                               *tls.Config   // both listeners over TLS (wss:// and https, tls://); nil for none
	limits                            limits        // flood control
	history                           int           // lines a room keeps
	historyAge                        time.Duration // and for how long
	peers                             []string      // the other nodes' WebSocket URLs, for the page to reconnect to
}

// defaults of the settings without flags in the tests.
func (cfg *config) defaults() {
	if cfg.limits == (limits{}) {
		cfg.limits = limits{rate: 10, burst: 20, strikes: 20}
	}
	if cfg.history == 0 && cfg.historyAge == 0 {
		cfg.history, cfg.historyAge = 100, time.Hour
	}
}

// listenAddrs are the addresses of the web and TCP listeners, and the
// options they share: tcp:// without TLS; wss:// and tls:// with it.
func listenAddrs(cfg config) (web, tcp string, opts []actor.ConnOption) {
	// A client that stops reading is disconnected once 256 KiB wait for it
	// (it reconnects and resumes from its last position), instead of the
	// server holding whatever its rooms say.
	opts = []actor.ConnOption{actor.IdleTimeout(10 * time.Minute), actor.HighWater(256<<10, actor.Disconnect)}
	if cfg.tls == nil {
		return "tcp://" + cfg.web, "tcp://" + cfg.tcp, opts
	}
	return "wss://" + cfg.web, "tls://" + cfg.tcp, append(opts, actor.TLS(cfg.tls))
}

// urls are what to open in a browser and where TCP clients connect, as
// printed at start.
func urls(cfg config, web, tcp net.Addr) (page, ws, lines string) {
	if cfg.tls == nil {
		return "http://" + web.String() + "/", "ws://" + web.String() + "/ws", "tcp://" + tcp.String()
	}
	return "https://" + web.String() + "/", "wss://" + web.String() + "/ws", "tls://" + tcp.String()
}

func main() {
	var cfg config
	flag.StringVar(&cfg.web, "web", "127.0.0.1:9100", "address of the page (/) and the WebSocket (/ws)")
	flag.StringVar(&cfg.tcp, "tcp", "127.0.0.1:9101", "address of the TCP listener (text lines: nc, telnet)")
	flag.IntVar(&cfg.shards, "shards", runtime.NumCPU(), "number of shards (event loops)")
	flag.IntVar(&cfg.node, "node", 1, "this server's node number in the cluster (0-1023, one per server)")
	flag.StringVar(&cfg.nats, "nats", "", "NATS server URL(s) of the cluster to join; empty runs an embedded NATS server on -nats-listen")
	flag.StringVar(&cfg.natsListen, "nats-listen", natsserver.DefaultListen, "address of the embedded NATS server, for the other nodes' -nats")
	flag.StringVar(&cfg.natsCluster, "nats-cluster", "", "with the embedded NATS server: host:port it listens on for routes from the other nodes' servers (a NATS cluster; see docs/cluster.md)")
	flag.StringVar(&cfg.natsRoutes, "nats-routes", "", "with -nats-cluster: comma-separated nats-route://host:port of every node's server, this one's included")
	flag.StringVar(&cfg.natsData, "nats-data", "", "with the embedded NATS server: JetStream's data directory (kept across restarts)")
	flag.DurationVar(&cfg.heartbeat, "heartbeat", time.Second, "how often nodes tell each other they are alive; a node silent for 3 is presumed dead")
	flag.BoolVar(&cfg.standalone, "standalone", false, "run alone, without a cluster")
	flag.StringVar(&cfg.metrics, "metrics", "", "serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9102)")
	certFile := flag.String("tls-cert", "", "PEM certificate (chain) file: with -tls-key, both listeners speak TLS (https and wss:// on -web, tls:// on -tcp)")
	keyFile := flag.String("tls-key", "", "PEM private key file of -tls-cert")
	flag.Float64Var(&cfg.limits.rate, "rate", 10, "flood control: messages a second a client may send, on average")
	flag.Float64Var(&cfg.limits.burst, "burst", 20, "flood control: messages a client may send at once")
	flag.IntVar(&cfg.limits.strikes, "strikes", 20, "flood control: refused messages in a row before the connection is closed")
	flag.IntVar(&cfg.history, "history", 100, "lines each room keeps (0: no limit by count)")
	flag.DurationVar(&cfg.historyAge, "history-age", time.Hour, "how long a room keeps its lines (0: no limit by age)")
	peers := flag.String("peers", "", "comma-separated WebSocket URLs of the other nodes (ws://host:port/ws), for the page to reconnect to when this node is gone")
	pprofAddr := flag.String("pprof", "", "serve Go's profiles at http://ADDR/debug/pprof/ (e.g. 127.0.0.1:6060); each shard's goroutine is labelled shoal.shard")
	flag.Parse()
	if *peers != "" {
		cfg.peers = strings.Split(*peers, ",")
	}
	if err := cfg.check(); err != nil {
		log.Fatal(err)
	}
	stopProfile, err := profile.Serve(*pprofAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer stopProfile()
	if cfg.tls, err = certfile.Flags(*certFile, *keyFile); err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = serve(ctx, cfg, func(web, tcp net.Addr, node *cluster.Node) {
		page, ws, lines := urls(cfg, web, tcp)
		fmt.Printf("chat: open %s in a browser (its WebSocket is %s); TCP (text lines, try nc) on %s; Ctrl-C stops\n", page, ws, lines)
		switch {
		case node == nil:
		case node.ClientURL() != "":
			fmt.Printf("chat: node %d of the cluster; more nodes join with -nats %s (each with its own -node, -web and -tcp)\n", cfg.node, node.ClientURL())
		default:
			fmt.Printf("chat: node %d of the cluster on %s\n", cfg.node, cfg.nats)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
}

// serve runs the chat server until ctx ends, then stops it gracefully. ready
// is called with the bound addresses and the cluster node (nil standalone)
// once both listeners accept.
func serve(ctx context.Context, cfg config, ready func(web, tcp net.Addr, node *cluster.Node)) error {
	cfg.defaults()
	if err := cfg.check(); err != nil {
		return err
	}
	opts := []actor.Option{actor.Shards(cfg.shards), actor.Groups(
		// Every room keeps its recent lines and who is in it; whereGroup
		// knows who is in which rooms, for /rooms.
		actor.GroupSettings{Pattern: "room:*", History: cfg.history, HistoryAge: cfg.historyAge, Presence: true},
		actor.GroupSettings{Pattern: whereGroup, Presence: true},
	)}
	var node *cluster.Node
	if !cfg.standalone {
		var err error
		ccfg := cluster.Config{Name: "chat", URL: cfg.nats, Heartbeat: cfg.heartbeat, Messages: crossing}
		if cfg.nats == "" { // the first node runs the NATS server the others join
			srv := &natsserver.Server{Listen: cfg.natsListen, Cluster: cfg.natsCluster, DataDir: cfg.natsData, JetStream: true}
			if cfg.natsRoutes != "" {
				srv.Routes = strings.Split(cfg.natsRoutes, ",")
			}
			ccfg.Server = srv
		}
		node, err = cluster.New(ccfg)
		if err != nil {
			return err
		}
		opts = append(opts, actor.Node(cfg.node), actor.Cluster(node))
	}
	sys, err := actor.NewSystem(opts...)
	if err != nil {
		return err
	}
	if err := sys.Start(); err != nil {
		return err
	}
	fail := func(err error) error {
		sys.Stop(context.Background())
		return err
	}
	peers, err := json.Marshal(append([]string{}, cfg.peers...)) // [] for none
	if err != nil {
		return fail(err)
	}
	ws, err := websocket.New(websocket.Options{
		Path:        "/ws",
		Compression: true,
		MaxMessage:  maxFrame,
		HTTP:        site(peers),
	}, lenient{codec.NewJSONSerializer(codec.MustRegistry(wire...))})
	if err != nil {
		return fail(err)
	}
	webAddr, tcpAddr, lopts := listenAddrs(cfg)
	web, err := sys.Listen(webAddr, ws, newMember(cfg.limits, false), lopts...)
	if err != nil {
		return fail(err)
	}
	lines, err := codec.New(codec.Line(codec.MaxFrame(maxFrame)), textSerializer{})
	if err != nil {
		return fail(err)
	}
	tcp, err := sys.Listen(tcpAddr, lines, newMember(cfg.limits, true), lopts...)
	if err != nil {
		return fail(err)
	}
	if cfg.metrics != "" {
		stop, err := serveMetrics(cfg.metrics, sys, node)
		if err != nil {
			return fail(err)
		}
		defer stop()
	}
	ready(web.Addr(), tcp.Addr(), node)
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sys.Stop(stopCtx)
}

// serveMetrics serves the system's (and the cluster node's) counters for
// Prometheus at http://addr/metrics, on an ordinary net/http server beside
// the shards. stop shuts it down.
func serveMetrics(addr string, sys *actor.System, node *cluster.Node) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(metrics.New(sys)); err != nil {
		return nil, err
	}
	if node != nil {
		if err := reg.Register(clustermetrics.New(node)); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		srv.Serve(l)
		close(done)
	}()
	return func() {
		srv.Close()
		<-done
	}, nil
}

// check says what is wrong with the settings, if anything.
func (cfg config) check() error {
	l := cfg.limits
	if l != (limits{}) && (l.rate <= 0 || l.burst < 1 || l.strikes < 1) {
		return fmt.Errorf("chat: -rate must be above 0, -burst and -strikes at least 1 (have %g, %g, %d)", l.rate, l.burst, l.strikes)
	}
	if cfg.history < 0 || cfg.historyAge < 0 || (cfg.historyAge > 0 && cfg.historyAge < time.Second) {
		return fmt.Errorf("chat: -history must be 0 or more, -history-age 0 or at least 1s (have %d, %v)", cfg.history, cfg.historyAge)
	}
	for _, p := range cfg.peers {
		if !strings.HasPrefix(p, "ws://") && !strings.HasPrefix(p, "wss://") {
			return fmt.Errorf("chat: -peers: %q is not a ws:// or wss:// URL", p)
		}
	}
	return nil
}

// page is the browser client, built on the client library (js/).
//
//go:embed page.html
var page string

// site answers plain HTTP (https with TLS) on the WebSocket's port: the
// chat page at /, the client library at /shoal.js, and at /peers the
// other nodes' WebSocket URLs (JSON), where the page reconnects when this
// node is gone. It runs on the event loop, so it only writes constants.
func site(peers []byte) http.Handler {
	library := shoaljs.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
		case shoaljs.Path:
			library.ServeHTTP(w, r)
		case "/peers":
			w.Header().Set("Content-Type", "application/json")
			w.Write(peers)
		default:
			http.NotFound(w, r)
		}
	})
}
