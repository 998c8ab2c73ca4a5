// Command chat is a chat server: rooms of people talking over TCP or from a
// browser over WebSocket, in the same rooms. Every connection is an actor;
// a room is a group; what someone says is broadcast to the room: encoded once
// per codec (once for the TCP members, once for the WebSocket ones) and the
// same bytes written to every member's connection.
//
//	go run ./examples/chat
//
// then open http://127.0.0.1:9100/ in a browser (the page and the WebSocket
// at /ws share the port; http://127.0.0.1:9100/#room=lobby&name=ann joins at
// once), or talk over TCP with one JSON object per line:
//
//	nc 127.0.0.1 9101
//	{"type":"Join","data":{"Room":"lobby","Name":"ann"}}
//	{"type":"Say","data":{"Text":"hello"}}
//
// Every chat server is a node of a cluster, and the rooms span the nodes.
// The first one runs an embedded NATS server (on 127.0.0.1:4222); start
// more nodes beside it, each with its own number and ports:
//
//	go run ./examples/chat -node 2 -nats nats://127.0.0.1:4222 -web 127.0.0.1:9200 -tcp 127.0.0.1:9201
//
// and people on either node meet in the same rooms. Each node's rooms actor
// (rooms.go) knows who is in which room on every node, so
//
//	{"type":"Who","data":{}}
//
// lists the member's room, and when a node dies (even with kill -9) the
// others tell their members that its people left, once they notice
// (-heartbeat × 4 by default). -standalone runs a single server without a
// cluster.
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
// docs/operating.md shows how to make a local test certificate.
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
)

// Messages from clients.
type (
	// Join enters Room under Name, leaving the room the member was in.
	Join struct{ Room, Name string }
	// Say says Text to the member's room.
	Say struct{ Text string }
	// Who asks who is in the member's room (answered with Members).
	Who struct{}
)

// Messages to clients.
type (
	// Said is what someone said in a room.
	Said struct{ Room, From, Text string }
	// Joined tells a room that someone came in.
	Joined struct{ Room, Name string }
	// Left tells a room that someone went away (or their node did).
	Left struct{ Room, Name string }
	// Members answers Who: the names in Room, on every node, sorted.
	Members struct {
		Room  string
		Names []string
	}
	// Problem answers a message the server cannot act on.
	Problem struct{ Text string }
)

// messages are the types both codecs know, with stable tags on the wire.
var messages = []any{Join{}, Say{}, Who{}, Said{}, Joined{}, Left{}, Members{}, Problem{}}

// limits of what a client may send.
const (
	maxName = 32
	maxText = 1000
)

// member is the actor of one connection, TCP or WebSocket alike.
type member struct {
	rooms      actor.ID // this node's rooms actor
	room, name string
}

func roomGroup(room string) string { return "room:" + room }

func (m *member) Receive(ctx *actor.Context) {
	switch msg := ctx.Message().(type) {
	case Join:
		name, room := strings.TrimSpace(msg.Name), strings.TrimSpace(msg.Room)
		if name == "" || room == "" || len(name) > maxName || len(room) > maxName {
			ctx.Write(Problem{Text: fmt.Sprintf("a room and a name of 1 to %d bytes, please", maxName)})
			return
		}
		m.leave(ctx)
		m.room, m.name = room, name
		ctx.Join(roomGroup(room))
		ctx.Broadcast(roomGroup(room), &Joined{Room: room, Name: name})
		ctx.Send(m.rooms, seatMsg{Room: room, Name: name})
	case Say:
		switch {
		case m.room == "":
			ctx.Write(Problem{Text: "join a room first"})
		case len(msg.Text) > maxText:
			ctx.Write(Problem{Text: fmt.Sprintf("at most %d bytes at a time", maxText)})
		default:
			ctx.Broadcast(roomGroup(m.room), &Said{Room: m.room, From: m.name, Text: msg.Text})
		}
	case Who:
		if m.room == "" {
			ctx.Write(Problem{Text: "join a room first"})
		} else {
			ctx.Send(m.rooms, whoMsg{})
		}
	case Members, Left: // from the rooms actor
		ctx.Write(msg)
	case actor.Closed:
		m.leave(ctx)
	}
}

// leave tells the member's room that it went away.
func (m *member) leave(ctx *actor.Context) {
	if m.room == "" {
		return
	}
	ctx.Leave(roomGroup(m.room))
	ctx.Broadcast(roomGroup(m.room), &Left{Room: m.room, Name: m.name})
	ctx.Send(m.rooms, unseat{})
	m.room = ""
}

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
}

// listenAddrs are the addresses of the web and TCP listeners, and the
// options they share: tcp:// without TLS; wss:// and tls:// with it.
func listenAddrs(cfg config) (web, tcp string, opts []actor.ConnOption) {
	opts = []actor.ConnOption{actor.IdleTimeout(10 * time.Minute)}
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
	flag.StringVar(&cfg.tcp, "tcp", "127.0.0.1:9101", "address of the TCP listener (one JSON message per line)")
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
	pprofAddr := flag.String("pprof", "", "serve Go's profiles at http://ADDR/debug/pprof/ (e.g. 127.0.0.1:6060); each shard's goroutine is labelled shoal.shard")
	flag.Parse()
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
		fmt.Printf("chat: open %s in a browser (its WebSocket is %s); TCP (JSON lines) on %s; Ctrl-C stops\n", page, ws, lines)
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
	opts := []actor.Option{actor.Shards(cfg.shards)}
	var node *cluster.Node
	if !cfg.standalone {
		var err error
		// What crosses nodes: the broadcasts to rooms, and what the rooms
		// actors tell each other.
		ccfg := cluster.Config{Name: "chat", URL: cfg.nats, Heartbeat: cfg.heartbeat,
			Messages: append([]any{hello{}, roster{}, moved{}}, messages...)}
		if cfg.nats == "" { // the first node runs the NATS server the others join
			srv := &natsserver.Server{Listen: cfg.natsListen, Cluster: cfg.natsCluster, DataDir: cfg.natsData}
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
	every := cfg.heartbeat
	if every <= 0 {
		every = time.Second
	}
	roomsID, err := sys.Spawn(newRooms(every))
	if err != nil {
		sys.Stop(context.Background())
		return err
	}
	newMember := func() actor.Actor { return &member{rooms: roomsID} }
	ws := websocket.JSON(websocket.Options{
		Path:        "/ws",
		Compression: true,
		MaxMessage:  4 << 10,
		HTTP:        http.HandlerFunc(servePage),
	}, messages...)
	webAddr, tcpAddr, lopts := listenAddrs(cfg)
	web, err := sys.Listen(webAddr, ws, newMember, lopts...)
	if err != nil {
		sys.Stop(context.Background())
		return err
	}
	lines := codec.JSON(codec.Line(codec.MaxFrame(4<<10)), messages...)
	tcp, err := sys.Listen(tcpAddr, lines, newMember, lopts...)
	if err != nil {
		sys.Stop(context.Background())
		return err
	}
	if cfg.metrics != "" {
		stop, err := serveMetrics(cfg.metrics, sys, node)
		if err != nil {
			sys.Stop(context.Background())
			return err
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

// servePage answers plain HTTP (https with TLS) on the WebSocket's port:
// the chat page at /.
// It runs on the event loop, so it only writes a constant.
func servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, page)
}

// page is the browser client: join a room, read it, say things.
const page = `<!doctype html>
<meta charset="utf-8"><title>Shoal chat</title>
<style>body{font:15px sans-serif;max-width:40em;margin:2em auto}#log{height:24em;overflow:auto;border:1px solid #ccc;padding:.5em}</style>
<form id="join"><input id="name" placeholder="your name" required> in <input id="room" value="lobby" required> <button>Join</button></form>
<div id="log"></div>
<form id="say"><input id="text" size="50" placeholder="say something (/who lists the room)" autocomplete="off"> <button>Say</button></form>
<script>
const log = document.getElementById("log");
const show = (s) => { const p = document.createElement("div"); p.textContent = s; log.append(p); log.scrollTop = log.scrollHeight; };
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
const send = (type, data) => ws.send(JSON.stringify({type, data}));
ws.onmessage = (e) => {
  const m = JSON.parse(e.data), d = m.data;
  switch (m.type) {
  case "Said": show(d.From + ": " + d.Text); break;
  case "Joined": show("* " + d.Name + " joined " + d.Room); break;
  case "Left": show("* " + d.Name + " left"); break;
  case "Members": show("* in " + d.Room + ": " + (d.Names || []).join(", ")); break;
  case "Problem": show("! " + d.Text); break;
  }
};
ws.onclose = (e) => show("* disconnected (" + e.code + ")");
// A link like /#room=lobby&name=ann joins at once.
ws.onopen = () => {
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.get("room") && h.get("name")) {
    document.getElementById("room").value = h.get("room");
    document.getElementById("name").value = h.get("name");
    send("Join", {Room: h.get("room"), Name: h.get("name")});
  }
};
document.getElementById("join").onsubmit = (e) => { e.preventDefault();
  send("Join", {Room: document.getElementById("room").value, Name: document.getElementById("name").value}); };
document.getElementById("say").onsubmit = (e) => { e.preventDefault();
  const t = document.getElementById("text");
  if (t.value === "/who") send("Who", {}); else if (t.value) send("Say", {Text: t.value});
  t.value = ""; };
</script>`
