// Command game is an authoritative game server with a tick loop: players run
// around a square arena picking up coins, over TCP or from a browser over
// WebSocket, in the same world. One spawned actor, the world, owns the whole
// game state; 20 times a second it applies each player's latest input (at
// most one step per axis: clients say where they want to go, never where
// they are), picks up coins, and broadcasts the state to the group "game":
// encoded once per codec and the same bytes written to every player.
//
//	go run ./examples/game
//
// then open http://127.0.0.1:9300/ in a browser (http://127.0.0.1:9300/#name=ann
// joins at once; arrows or WASD move), or play over TCP with one JSON object
// per line; an input holds until the next one:
//
//	nc 127.0.0.1 9301
//	{"type":"Join","data":{"Name":"ann"}}
//	{"type":"Input","data":{"DX":1,"DY":0}}
//	{"type":"Input","data":{"DX":0,"DY":0}}
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/shoalrt/shoal/examples/internal/profile"
	shoaljs "github.com/shoalrt/shoal/js"
)

// Messages from clients.
type (
	// Join enters the game under Name (again: renames).
	Join struct{ Name string }
	// Input is where the player wants to go, from now on: DX and DY each -1, 0 or 1.
	Input struct{ DX, DY int }
)

// Messages to clients.
type (
	// Welcome answers Join: the player's ID in State, and the arena's side.
	Welcome struct {
		ID   string
		Size int
	}
	// State is the whole world after a tick.
	State struct {
		Tick    uint64
		Players []PlayerState
		Coins   [][2]int
	}
	// PlayerState is one player in State.
	PlayerState struct {
		ID, Name string
		X, Y     int
		Score    int
	}
	// Problem answers a message the server cannot act on.
	Problem struct{ Text string }
)

// messages are the types both codecs know, with stable tags on the wire.
var messages = []any{Join{}, Input{}, Welcome{}, State{}, Problem{}}

// The rules.
const (
	size    = 100 // the arena is size x size cells, 0 to size-1 on each axis
	speed   = 1   // most cells a player moves per tick on each axis
	coins   = 5   // coins in the arena at any time
	maxName = 16
	group   = "game"
)

// What player actors tell the world.
type (
	joined struct {
		who  actor.ID
		name string
	}
	moved struct {
		who    actor.ID
		dx, dy int
	}
	left     struct{ who actor.ID }
	tickMsg  struct{}
	rejoin   struct{} // from a restarted world to its group: say who you are again
	position = [2]int
)

// body is a player as the world knows it.
type body struct {
	id     string // the player actor's ID as text, for State
	name   string
	x, y   int
	dx, dy int // latest input, applied every tick
	score  int
}

// world owns the game state; only its Receive touches it. If it panics,
// supervision restarts it as a fresh world, which asks the players still
// connected to join again.
type world struct {
	tick    time.Duration
	place   func() position      // where a new coin or player goes
	fault   func(n uint64) error // a bug to simulate at tick n (tests), or nil
	n       uint64               // ticks so far
	players map[actor.ID]*body
	order   []actor.ID // players in order of arrival
	coins   []position
}

func (w *world) Receive(ctx *actor.Context) {
	switch msg := ctx.Message().(type) {
	case actor.Started:
		w.players = map[actor.ID]*body{}
		for range coins {
			w.coins = append(w.coins, w.place())
		}
		if _, err := ctx.Every(w.tick, tickMsg{}); err != nil {
			log.Printf("game: world: %v", err)
		}
		ctx.Publish(group, rejoin{}) // after a restart: the players still here come back
	case joined:
		if b := w.players[msg.who]; b != nil {
			b.name = msg.name
			return
		}
		p := w.place()
		w.players[msg.who] = &body{id: msg.who.String(), name: msg.name, x: p[0], y: p[1]}
		w.order = append(w.order, msg.who)
	case moved:
		if b := w.players[msg.who]; b != nil {
			b.dx, b.dy = msg.dx, msg.dy
		}
	case left:
		delete(w.players, msg.who)
		w.order = slices.DeleteFunc(w.order, func(id actor.ID) bool { return id == msg.who })
	case tickMsg:
		if w.fault != nil {
			if err := w.fault(w.n + 1); err != nil {
				panic(err)
			}
		}
		w.step(ctx)
	}
}

// step advances the world by one tick and broadcasts it. The State is new
// every tick: the shards encode it after this Receive returns.
func (w *world) step(ctx *actor.Context) {
	w.n++
	if len(w.order) == 0 {
		return
	}
	s := &State{Tick: w.n, Players: make([]PlayerState, 0, len(w.order))}
	for _, id := range w.order {
		b := w.players[id]
		b.x = min(max(b.x+b.dx*speed, 0), size-1)
		b.y = min(max(b.y+b.dy*speed, 0), size-1)
		for i, c := range w.coins {
			if c == (position{b.x, b.y}) {
				b.score++
				w.coins[i] = w.place()
			}
		}
		s.Players = append(s.Players, PlayerState{ID: b.id, Name: b.name, X: b.x, Y: b.y, Score: b.score})
	}
	s.Coins = make([][2]int, len(w.coins))
	copy(s.Coins, w.coins)
	ctx.Broadcast(group, s)
}

// player is the actor of one connection, TCP or WebSocket alike.
type player struct {
	world  actor.ID
	joined bool
	name   string
}

func (p *player) Receive(ctx *actor.Context) {
	switch msg := ctx.Message().(type) {
	case Join:
		name := strings.TrimSpace(msg.Name)
		if name == "" || len(name) > maxName {
			ctx.Write(Problem{Text: fmt.Sprintf("a name of 1 to %d bytes, please", maxName)})
			return
		}
		if err := ctx.Send(p.world, joined{who: ctx.Self(), name: name}); err != nil {
			ctx.Write(Problem{Text: "the world is busy; try again"})
			return
		}
		p.joined, p.name = true, name
		ctx.Join(group)
		ctx.Write(Welcome{ID: ctx.Self().String(), Size: size})
	case Input:
		switch {
		case !p.joined:
			ctx.Write(Problem{Text: "join first"})
		case msg.DX < -1 || msg.DX > 1 || msg.DY < -1 || msg.DY > 1:
			ctx.Write(Problem{Text: "DX and DY are each -1, 0 or 1"})
		default:
			ctx.Send(p.world, moved{who: ctx.Self(), dx: msg.DX, dy: msg.DY})
		}
	case rejoin: // the world was restarted and forgot everyone
		ctx.Send(p.world, joined{who: ctx.Self(), name: p.name})
	case actor.Closed:
		if p.joined {
			ctx.Send(p.world, left{who: ctx.Self()})
		}
	}
}

// config is what the flags set.
type config struct {
	web, tcp string // listen addresses: the page and WebSocket, and TCP
	shards   int
	tick     time.Duration
	place    func() position      // where new coins and players go; nil: at random
	fault    func(n uint64) error // tests: a panic of the world at tick n
}

func main() {
	var cfg config
	flag.StringVar(&cfg.web, "web", "127.0.0.1:9300", "address of the page (/) and the WebSocket (/ws)")
	flag.StringVar(&cfg.tcp, "tcp", "127.0.0.1:9301", "address of the TCP listener (one JSON message per line)")
	flag.IntVar(&cfg.shards, "shards", runtime.NumCPU(), "number of shards (event loops)")
	flag.DurationVar(&cfg.tick, "tick", 50*time.Millisecond, "time between ticks of the world")
	pprofAddr := flag.String("pprof", "", "serve Go's profiles at http://ADDR/debug/pprof/ (e.g. 127.0.0.1:6060); each shard's goroutine is labelled shoal.shard")
	flag.Parse()
	stopProfile, err := profile.Serve(*pprofAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer stopProfile()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = serve(ctx, cfg, func(web, tcp net.Addr) {
		fmt.Printf("game: open http://%s/ in a browser; TCP (JSON lines) on %s; a tick every %v; Ctrl-C stops\n", web, tcp, cfg.tick)
	})
	if err != nil {
		log.Fatal(err)
	}
}

// serve runs the game server until ctx ends, then stops it gracefully. ready
// is called with the bound addresses once both listeners accept.
func serve(ctx context.Context, cfg config, ready func(web, tcp net.Addr)) error {
	if cfg.tick <= 0 {
		return fmt.Errorf("game: tick %v: must be positive", cfg.tick)
	}
	place := cfg.place
	if place == nil {
		place = func() position { return position{rand.IntN(size), rand.IntN(size)} }
	}
	sys, err := actor.NewSystem(actor.Shards(cfg.shards), actor.OnFailure(func(f actor.Failure) {
		log.Printf("game: %v panicked (%v): %s", f.ID, f.Panic, f.Action)
	}))
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
	// The world exists before any player: listening starts after it.
	w, err := sys.Spawn(func() actor.Actor { return &world{tick: cfg.tick, place: place, fault: cfg.fault} },
		actor.Supervise(actor.RestartOnFailure(5, time.Minute)))
	if err != nil {
		return fail(err)
	}
	newPlayer := func() actor.Actor { return &player{world: w} }
	ws := websocket.JSON(websocket.Options{
		Path:        "/ws",
		Compression: true,
		MaxMessage:  4 << 10,
		HTTP:        http.HandlerFunc(servePage),
	}, messages...)
	web, err := sys.Listen("tcp://"+cfg.web, ws, newPlayer, actor.IdleTimeout(10*time.Minute))
	if err != nil {
		return fail(err)
	}
	lines := codec.JSON(codec.Line(codec.MaxFrame(4<<10)), messages...)
	tcp, err := sys.Listen("tcp://"+cfg.tcp, lines, newPlayer, actor.IdleTimeout(10*time.Minute))
	if err != nil {
		return fail(err)
	}
	ready(web.Addr(), tcp.Addr())
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sys.Stop(stopCtx)
}

// library serves the client library, as package shoaljs does.
var library = shoaljs.Handler()

// servePage answers plain HTTP on the WebSocket's port: the game page at /
// and the client library it imports at /shoal.js. It runs on the event
// loop, so it only writes constants.
func servePage(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	case shoaljs.Path:
		library.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// page is the browser client: join, watch the arena, steer with the keys.
const page = `<!doctype html>
<meta charset="utf-8"><title>Shoal game</title>
<style>body{font:15px sans-serif;margin:2em auto;max-width:52em}canvas{border:1px solid #999;background:#f4f4ee;float:left;margin-right:1em}</style>
<form id="join"><input id="name" placeholder="your name" maxlength="16" required> <button>Join</button> <span id="info">arrows or WASD move</span></form>
<canvas id="arena" width="600" height="600"></canvas><ol id="scores"></ol>
<script type="module">
import { connect } from "/shoal.js";
const cv = document.getElementById("arena"), g = cv.getContext("2d"), info = document.getElementById("info");
let me = "", size = 100, name = new URLSearchParams(location.hash.slice(1)).get("name") || "";
// The library reconnects by itself; the hello joins again under the same
// name, so a player comes back after the server (or the network) dropped it.
const client = connect((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws",
  {hello: () => name ? {type: "Join", data: {Name: name}} : null});
const draw = (s) => {
  const k = cv.width / size;
  g.clearRect(0, 0, cv.width, cv.height);
  g.fillStyle = "#e0a800";
  for (const [x, y] of s.Coins) { g.beginPath(); g.arc((x + .5) * k, (y + .5) * k, k / 2, 0, 7); g.fill(); }
  const ol = document.getElementById("scores"); ol.textContent = "";
  for (const p of [...s.Players].sort((a, b) => b.Score - a.Score)) {
    g.fillStyle = p.ID === me ? "#c00" : "#246";
    g.fillRect(p.X * k - 1, p.Y * k - 1, k + 2, k + 2);
    g.fillText(p.Name, p.X * k, p.Y * k - 3);
    const li = document.createElement("li"); li.textContent = p.Name + ": " + p.Score; ol.append(li);
  }
};
client.on("State", draw);
client.on("Welcome", (d) => { me = d.ID; size = d.Size; });
client.on("Problem", (d) => info.textContent = d.Text);
client.on("close", (e) => info.textContent = "disconnected (" + e.code + ")");
client.on("reconnecting", (e) => info.textContent = "reconnecting in " + Math.ceil(e.delay / 1000) + " s");
// A new connection is a new player standing still: send the held keys again.
client.on("open", () => { info.textContent = "arrows or WASD move"; last = "0,0"; steer(); });
// A link like /#name=ann joins at once (the hello sends the Join).
if (name) document.getElementById("name").value = name;
document.getElementById("join").onsubmit = (e) => { e.preventDefault();
  name = document.getElementById("name").value; client.send("Join", {Name: name}); document.activeElement.blur(); };
// Held keys make the input; a change is sent once.
const keys = {ArrowLeft: [-1, 0], a: [-1, 0], ArrowRight: [1, 0], d: [1, 0], ArrowUp: [0, -1], w: [0, -1], ArrowDown: [0, 1], s: [0, 1]};
const held = new Set(); let last = "0,0";
const steer = () => {
  let dx = 0, dy = 0;
  for (const k of held) { dx += keys[k][0]; dy += keys[k][1]; }
  dx = Math.sign(dx); dy = Math.sign(dy);
  if (dx + "," + dy !== last && client.send("Input", {DX: dx, DY: dy})) last = dx + "," + dy;
};
const key = (e) => e.key.length === 1 ? e.key.toLowerCase() : e.key;
onkeydown = (e) => { if (e.target.id !== "name" && keys[key(e)]) { e.preventDefault(); held.add(key(e)); steer(); } };
onkeyup = (e) => { if (keys[key(e)]) { held.delete(key(e)); steer(); } };
onblur = () => { held.clear(); steer(); };
</script>`
