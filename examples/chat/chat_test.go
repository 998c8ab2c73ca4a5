package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	gorilla "github.com/gorilla/websocket"
	"github.com/shoalrt/shoal/actor"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every test of the protocol runs twice: on a standalone server (history,
// presence and names in memory) and on node 1 of a cluster (in JetStream).
var modes = []struct {
	name  string
	start func(*testing.T) server
}{{"standalone", standalone}, {"cluster", firstNode}}

func eachMode(t *testing.T, f func(t *testing.T, s server)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m.start(t)) })
	}
}

// A person in nc: a nick, a room, lines, the commands, errors.
func TestTCPSession(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		ann := dialTCP(t, s.tcp.String())
		ann.send("/join lobby")
		ann.expect("error: choose a nick first (/nick NAME)")
		ann.send("hello?")
		ann.expect("error: join a room first (/join ROOM)")
		ann.send("/nick a b")
		ann.expect("error: usage: /nick NAME")
		ann.send("/nick <script>")
		ann.expect("error: a nick is letters, digits, _ - and . (starting with a letter or digit)")
		ann.send("/nick " + strings.Repeat("a", 25))
		ann.expect("error: a nick is 1 to 24 characters")
		ann.login("Ann")
		ann.send("/join Lobby!")
		ann.expect("error: a room name is letters a-z, digits, _ - and .")
		ann.send("/join Lobby")
		ann.expect("* now in lobby (0 earlier lines above)")
		ann.expect("* in lobby: Ann")
		ann.send("hello, room")
		ann.expect("[lobby] <Ann> hello, room")
		ann.send("//slash at the start")
		ann.expect("[lobby] <Ann> /slash at the start")
		ann.send("/who")
		ann.expect("* in lobby: Ann")
		ann.send("/rooms")
		ann.expect("* rooms: lobby (1)")
		ann.send("/frob x")
		ann.expect("error: unknown command /frob (try /help)")
		ann.send("/msg nobody hi")
		ann.expect("error: no such nick: nobody")
		ann.send("/msg")
		ann.expect("error: usage: /msg NICK TEXT")
		ann.send("/help")
		for _, u := range usage {
			ann.expect("* " + u)
		}
		ann.send(strings.Repeat("x", maxText+1))
		ann.expect("error: a line is at most 4096 bytes")
		ann.send("/leave")
		ann.expect("* you left lobby")
		ann.send("/leave")
		ann.expect("error: you are in no room")
		ann.poll("/rooms", "* no rooms with people in them") // presence is written in the background
		ann.send("/quit")
		ann.expect("* bye")
		ann.closed()
	})
}

// Joining a room shows its history, each line with its position; the
// replay ends with joined (its count and resume point), then the member
// list; TCP and WebSocket members share the room.
func TestHistoryOnJoin(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		ann := dialTCP(t, s.tcp.String())
		ann.login("ann")
		ann.send("/join lobby")
		ann.until("* in lobby: ann")
		for i := range 3 {
			ann.send(fmt.Sprint("line ", i))
			ann.expect(fmt.Sprint("[lobby] <ann> line ", i))
		}
		bob := dialWS(t, s)
		bob.hello("bob", "bob-session-0123456789")
		bob.send("join", map[string]any{"room": "Lobby", "ref": "j"})
		var last string
		for i := range 3 {
			e := bob.expect("line", "")
			if e.field("text") != fmt.Sprint("line ", i) || e.field("from") != "ann" || e.field("room") != "lobby" {
				t.Fatalf("replayed %s", e.Data)
			}
			if _, err := actor.ParsePosition(e.field("pos")); err != nil {
				t.Fatalf("line without a position: %s", e.Data)
			}
			last = e.field("pos")
		}
		bob.expect("joined", `{"room":"lobby","pos":"`+last+`","count":3,"ref":"j"}`)
		bob.expect("members", `{"room":"lobby","nicks":["ann","bob"]}`)
		ann.until("* bob joined lobby")

		// bob says something: acknowledged with its position, seen by both.
		bob.send("say", map[string]any{"room": "lobby", "text": "hi ann", "key": "1"})
		var ack, line envelope
		for ack.Type == "" || line.Type == "" {
			switch e := bob.next(); e.Type {
			case "ack":
				ack = e
			case "line":
				line = e
			default:
				t.Fatalf("unexpected %s %s", e.Type, e.Data)
			}
		}
		if ack.field("key") != "1" || ack.field("pos") != line.field("pos") || ack.field("pos") <= last && len(ack.field("pos")) == len(last) {
			t.Fatalf("ack %s for line %s", ack.Data, line.Data)
		}
		ann.expect("[lobby] <bob> hi ann")

		// A later join of the same room by a member answers joined again.
		bob.send("join", map[string]any{"room": "lobby", "ref": "again"})
		bob.expect("joined", `{"room":"lobby","pos":"`+line.field("pos")+`","count":0,"ref":"again"}`)
	})
}

// seq returns the sequence number of a position "epoch:seq".
func seq(t *testing.T, pos string) uint64 {
	t.Helper()
	p, err := actor.ParsePosition(pos)
	if err != nil {
		t.Fatalf("position %q: %v", pos, err)
	}
	return p.Seq
}

// says sends a say and returns its ack, skipping lines.
func (w *wsClient) says(room, text, key string) envelope {
	w.t.Helper()
	w.send("say", map[string]any{"room": room, "text": text, "key": key})
	return w.until("ack", func(e envelope) bool { return e.field("key") == key })
}

// A client that lost its connection comes back with its session, joins
// from the last position it saw and resends what was not acknowledged:
// it gets exactly what it missed, and nothing is said twice.
func TestResumeAndResend(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		ann := dialTCP(t, s.tcp.String())
		ann.login("ann")
		ann.send("/join lobby")
		ann.until("* in lobby: ann")

		const session = "bob-session-0123456789"
		bob := dialWS(t, s)
		bob.hello("bob", session)
		bob.send("join", map[string]any{"room": "lobby"})
		bob.until("joined", nil)
		a1 := bob.says("lobby", "one", "1")
		ann.until("[lobby] <bob> one")
		bob.c.Close() // gone, as a network would lose it

		ann.send("while you were away")
		ann.until("[lobby] <ann> while you were away")
		ann.send("and this")
		ann.until("[lobby] <ann> and this")

		bob = dialWS(t, s)
		bob.hello("bob", session) // its old connection is gone, or taken over
		bob.send("join", map[string]any{"room": "lobby", "since": a1.field("pos"), "ref": "r"})
		for _, want := range []string{"while you were away", "and this"} {
			if e := bob.expect("line", ""); e.field("text") != want {
				t.Fatalf("replayed %s, want %q", e.Data, want)
			}
		}
		j := bob.expect("joined", "")
		if j.field("count") != "2" || j.field("ref") != "r" {
			t.Fatalf("joined %s", j.Data)
		}
		bob.until("members", nil)
		// The resend of an acknowledged line stores nothing and answers with
		// the first position; a new key is a new line.
		again := bob.says("lobby", "one", "1")
		if again.field("pos") != a1.field("pos") || again.field("dup") != "true" {
			t.Fatalf("resent line acknowledged %s, first %s", again.Data, a1.Data)
		}
		a2 := bob.says("lobby", "two", "2")
		if a2.field("dup") != "" || seq(t, a2.field("pos")) <= seq(t, a1.field("pos")) {
			t.Fatalf("second line acknowledged %s after %s", a2.Data, a1.Data)
		}
		// ann heard "one" once: the next line from bob is "two".
		for _, l := range ann.until("[lobby] <bob> two") {
			if strings.Contains(l, "<bob>") {
				t.Fatalf("ann heard %q twice, or out of order", l)
			}
		}
		// The same key with other text is refused.
		bob.send("say", map[string]any{"room": "lobby", "text": "not one", "key": "1"})
		e := bob.until("error", nil)
		if e.field("key") != "1" || !strings.Contains(e.field("text"), "key") {
			t.Fatalf("reused key: %s", e.Data)
		}
	})
}

// A nick is unique across the cluster, whatever its letter case; a new
// connection of the same session takes it over from its old connection
// (which is closed with the reason), another session cannot.
func TestUniqueNicks(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		const session = "ann-session-0123456789"
		old := dialWS(t, s)
		old.hello("Ann", session)

		eve := dialWS(t, s)
		eve.send("hello", map[string]any{"nick": "aNN", "session": "eve-session-0123456789", "ref": "e"})
		eve.expect("error", `{"ref":"e","text":"nick aNN is taken"}`)
		tcp := dialTCP(t, s.tcp.String())
		tcp.send("/nick ann")
		tcp.expect("error: nick ann is taken")
		eve.send("nick", map[string]any{"nick": "x y", "ref": "bad"})
		eve.expect("error", `{"ref":"bad","text":"a nick is letters, digits, _ - and . (starting with a letter or digit)"}`)
		eve.send("hello", map[string]any{"nick": "eve", "session": "short", "ref": "s"})
		eve.expect("error", `{"ref":"s","text":"a session is 16 to 64 characters"}`)

		again := dialWS(t, s)
		again.hello("ann", session) // the same session: taken over
		old.expect("error", `{"text":"your nick was taken over by a new connection of your session"}`)
		old.c.SetReadDeadline(time.Now().Add(patience))
		_, _, err := old.c.ReadMessage()
		var ce *gorilla.CloseError
		if !errors.As(err, &ce) || ce.Code != 4001 {
			t.Fatalf("old connection ended with %v, want close 4001", err)
		}
		// The nick follows its new holder: a private message reaches it.
		tcp.login("tom")
		tcp.send("/msg ANN psst")
		tcp.expect("-> ANN: psst")
		again.expect("private", `{"from":"tom","text":"psst"}`)
		// And a nick given up is free for anyone.
		tcp.login("tim")
		deadline := time.Now().Add(patience)
		for { // the release is written in the background
			eve.send("nick", map[string]any{"nick": "Tom", "ref": "t"})
			e := eve.next()
			if e.Type == "welcome" && sameJSON(e.Data, `{"nick":"Tom","ref":"t"}`) {
				break
			}
			if e.Type != "error" || e.field("text") != "nick Tom is taken" || time.Now().After(deadline) {
				t.Fatalf("got %s %s, want Tom's welcome", e.Type, e.Data)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// Flood control: past the bucket a message is refused with an error (and
// not relayed); when it goes on, the connection is closed with a reason.
func TestFloodControl(t *testing.T) {
	cfg := config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 1, standalone: true, limits: limits{rate: 0.01, burst: 3, strikes: 4}}
	s := startNode(t, cfg)
	tom := dialTCP(t, s.tcp.String())
	tom.login("tom")
	tom.send("/join lobby")
	tom.until("* in lobby: tom")
	ann := dialTCP(t, s.tcp.String())
	ann.login("ann") // one token
	ann.send("/join lobby")
	ann.expect("* now in lobby (0 earlier lines above)")
	var flood strings.Builder
	for i := range 10 { // one token left, then refused, then closed
		fmt.Fprintf(&flood, "flood %d\n", i)
	}
	ann.send(strings.TrimSuffix(flood.String(), "\n")) // one write: the server closes before the last
	var got []string
	for {
		line, err := ann.r.ReadString('\n')
		if err != nil {
			break
		}
		if l := strings.TrimSuffix(line, "\n"); strings.HasPrefix(l, "error: ") {
			got = append(got, l)
		}
	}
	want := []string{"error: slow down: message refused", "error: slow down: message refused",
		"error: slow down: message refused", "error: disconnected: flooding"}
	if !slices.Equal(got, want) {
		t.Fatalf("the flooder got %q, want %q", got, want)
	}
	// Only the line that found a token was said.
	tom.until("[lobby] <ann> flood 0")
	tom.send("after the flood")
	for _, l := range tom.until("[lobby] <tom> after the flood") {
		if strings.Contains(l, "flood") {
			t.Fatalf("a refused line was relayed: %q", l)
		}
	}

	bob := dialWS(t, s)
	for i := range 10 {
		frame := fmt.Sprintf(`{"type":"who","data":{"room":"lobby","ref":"%d"}}`, i)
		if bob.c.WriteMessage(gorilla.TextMessage, []byte(frame)) != nil {
			break // closed by the server already
		}
	}
	var errs []string
	members := 0
	var err error
	for {
		var b []byte
		bob.c.SetReadDeadline(time.Now().Add(patience))
		if _, b, err = bob.c.ReadMessage(); err != nil {
			break
		}
		var e envelope
		json.Unmarshal(b, &e)
		switch e.Type {
		case "members":
			members++
		case "error":
			errs = append(errs, e.field("text"))
		}
	}
	want = []string{"slow down: message refused", "slow down: message refused", "slow down: message refused", "disconnected: flooding"}
	if members > 3 || !slices.Equal(errs, want) {
		t.Fatalf("the flooder got %d member lists and errors %q, want at most 3 and %q", members, errs, want)
	}
	var ce *gorilla.CloseError
	if !errors.As(err, &ce) || ce.Code != gorilla.ClosePolicyViolation || ce.Text != "flooding" {
		t.Fatalf("flooding WebSocket closed with %v, want 1008 flooding", err)
	}
}

// Bad input gets an error saying what is wrong, and the connection goes
// on; only a frame over 64 KiB closes it.
func TestBadMessages(t *testing.T) {
	s := standalone(t)
	w := dialWS(t, s)
	for _, tc := range []struct{ frame, want string }{
		{`{"type":"frob","data":{}}`, `{"text":"unknown message type \"frob\""}`},
		{`not json`, ""},
		{`{"type":"say","data":{"text":5}}`, ""},
		{`{"type":"welcome","data":{"nick":"x"}}`, `{"text":"a main.Welcome is not something a client sends"}`},
		{`{"type":"line","data":{"room":"lobby","from":"x","text":"forged"}}`, `{"text":"a main.Line is not something a client sends"}`},
		{`{"type":"say","data":{"room":"lobby","text":"hi","key":"k"}}`, `{"key":"k","room":"lobby","text":"you are not in lobby"}`},
		{`{"type":"join","data":{"room":"lobby","ref":"j"}}`, `{"ref":"j","room":"lobby","text":"choose a nick first (/nick NAME)"}`},
		{`{"type":"msg","data":{"to":"bob","text":"hi","ref":"m"}}`, `{"ref":"m","text":"choose a nick first (/nick NAME)"}`},
		{`{"type":"who","data":{"ref":"w"}}`, `{"ref":"w","text":"who is in which room? join one, or name it"}`},
		{`{"type":"leave","data":{"room":"lobby","ref":"l"}}`, `{"ref":"l","room":"lobby","text":"you are not in lobby"}`},
	} {
		if err := w.c.WriteMessage(gorilla.TextMessage, []byte(tc.frame)); err != nil {
			t.Fatal(err)
		}
		e := w.expect("error", tc.want)
		if tc.want == "" && !strings.HasPrefix(e.field("text"), "malformed message: ") {
			t.Fatalf("%s: %s", tc.frame, e.Data)
		}
	}
	w.hello("ann", "ann-session-0123456789")
	w.send("join", map[string]any{"room": "lobby", "last": 5000, "ref": "j"})
	w.expect("error", `{"ref":"j","room":"lobby","text":"last is 0 to 1000 lines"}`)
	w.send("join", map[string]any{"room": "lobby", "since": "banana", "ref": "j"})
	if e := w.expect("error", ""); !strings.HasPrefix(e.field("text"), "malformed message: ") {
		t.Fatalf("a bad position: %s", e.Data)
	}
	w.send("join", map[string]any{"room": "lobby"})
	w.until("joined", nil)
	for _, tc := range []struct {
		text, key, want string
	}{
		{strings.Repeat("é", maxText/2+1), "1", "a line is at most 4096 bytes"},
		{"", "2", "nothing to say"},
		{"bell\a", "3", "a line holds no control characters"},
		{"fine", strings.Repeat("k", maxKey+1), "a key is 1 to 60 characters"},
	} {
		w.send("say", map[string]any{"room": "lobby", "text": tc.text, "key": tc.key})
		if e := w.until("error", nil); e.field("text") != tc.want || e.field("key") != tc.key {
			t.Fatalf("say %.20q: %s, want %q", tc.text, e.Data, tc.want)
		}
	}
	w.says("lobby", strings.Repeat("x", maxText), "ok") // the longest line goes
	tcp := dialTCP(t, s.tcp.String())
	tcp.send(strings.Repeat("y", maxFrame+1)) // over the frame limit: closed
	tcp.closed()
}

// Who is here: a room's members are listed on join and by who, and
// presence says who comes and goes; a nick change shows as a leave and a
// join, and the old nick is free again.
func TestPresence(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		bob := dialWS(t, s)
		bob.hello("bob", "bob-session-0123456789")
		bob.send("join", map[string]any{"room": "lobby"})
		if j := bob.expect("joined", ""); j.field("count") != "0" || j.field("room") != "lobby" {
			t.Fatalf("joined %s", j.Data)
		}
		bob.expect("members", `{"room":"lobby","nicks":["bob"]}`)

		ann := dialTCP(t, s.tcp.String())
		ann.login("ann")
		ann.send("/join lobby")
		ann.expect("* now in lobby (0 earlier lines above)")
		bob.until("presence", nil)
		bob.send("who", map[string]any{"room": "lobby", "ref": "w"})
		bob.until("members", func(e envelope) bool { return e.field("ref") == "w" })
		ann.send("/nick anna")
		ann.until("* welcome, anna")
		want := []string{`{"room":"lobby","nick":"ann","joined":false}`, `{"room":"lobby","nick":"anna","joined":true}`}
		for _, w := range want {
			bob.expect("presence", w)
		}
		ann.send("hi")
		bob.expect("line", "")
		ann.send("/quit")
		bob.expect("presence", `{"room":"lobby","nick":"anna","joined":false}`)
		eve := dialTCP(t, s.tcp.String())
		eve.login("ann") // free again
		eve.send("/who lobby")
		eve.expect("* in lobby: bob")
	})
}

// Two nodes of a cluster share the rooms: history, members, presence and
// lines cross them, and a private message reaches its nick on the other
// node.
func TestAcrossNodes(t *testing.T) {
	one := firstNode(t)
	two := nextNode(t, one, 2)
	ann := dialWS(t, one)
	ann.hello("ann", "ann-session-0123456789")
	ann.send("join", map[string]any{"room": "lobby"})
	ann.until("joined", nil)
	a1 := ann.says("lobby", "said on node 1", "1")

	bob := dialTCP(t, two.tcp.String())
	bob.login("bob")
	bob.send("/join lobby")
	bob.expect("[lobby] <ann> said on node 1") // the history, from node 1
	bob.expect("* now in lobby (1 earlier line above)")
	bob.expect("* in lobby: ann, bob")
	ann.until("presence", func(e envelope) bool { return e.field("nick") == "bob" && e.field("joined") == "true" })
	bob.send("hi from node 2")
	l := ann.until("line", func(e envelope) bool { return e.field("from") == "bob" })
	if l.field("text") != "hi from node 2" || seq(t, l.field("pos")) <= seq(t, a1.field("pos")) {
		t.Fatalf("line from node 2: %s (after %s)", l.Data, a1.Data)
	}
	bob.send("/msg ANN psst, node 1")
	bob.until("-> ANN: psst, node 1")
	ann.until("private", func(e envelope) bool { return sameJSON(e.Data, `{"from":"bob","text":"psst, node 1"}`) })
	ann.send("msg", map[string]any{"to": "Bob", "text": "back at you", "ref": "m"})
	ann.until("sent", func(e envelope) bool { return sameJSON(e.Data, `{"to":"Bob","text":"back at you","ref":"m"}`) })
	bob.until("*ann* back at you")
	ann.send("msg", map[string]any{"to": "carol", "text": "anyone?", "ref": "c"})
	ann.until("error", func(e envelope) bool { return sameJSON(e.Data, `{"ref":"c","text":"no such nick: carol"}`) })
	// The nick is unique across the nodes.
	eve := dialTCP(t, one.tcp.String())
	eve.send("/nick BOB")
	eve.expect("error: nick BOB is taken")
	// /rooms counts the members of both nodes.
	eve.login("eve")
	eve.send("/join games")
	eve.until("* in games: eve")
	eve.poll("/rooms", "* rooms: lobby (2), games (1)")
	// bob leaves: ann on the other node hears it.
	bob.send("/quit")
	ann.until("presence", func(e envelope) bool { return e.field("nick") == "bob" && e.field("joined") == "false" })
}

// With -metrics, the server's counters are served for Prometheus, and a
// cluster node's beside them.
func TestChatMetrics(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cfg         config
		clusterWant bool
	}{
		{"standalone", config{standalone: true}, false},
		{"node", config{node: 1, natsListen: "127.0.0.1:0"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close() // a free port for the metrics server
			cfg := tc.cfg
			cfg.web, cfg.tcp, cfg.shards, cfg.metrics = "127.0.0.1:0", "127.0.0.1:0", 2, addr
			s := startNode(t, cfg)
			bob := dialTCP(t, s.tcp.String())
			bob.login("bob")
			_, body := get(t, "http://"+addr+"/metrics")
			for _, want := range []string{`shoal_connections{shard="0"}`, `shoal_messages_in_total{shard="1"}`} {
				if !strings.Contains(body, want) {
					t.Fatalf("no %s in\n%s", want, body)
				}
			}
			if got := strings.Contains(body, "shoal_cluster_peers 0"); got != tc.clusterWant {
				t.Fatalf("shoal_cluster_peers 0 served: %v, want %v, in\n%s", got, tc.clusterWant, body)
			}
		})
	}
}

// Two chat servers each with its own embedded NATS server, the two routed
// into one NATS cluster (-nats-cluster, -nats-routes), share a room, its
// history and its members.
func TestChatNodesWithRoutedServers(t *testing.T) {
	var ports []string
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, l.Addr().String())
		l.Close()
	}
	routes := "nats-route://" + ports[0] + ",nats-route://" + ports[1]
	// JetStream on a NATS cluster starts once its servers meet: launch both.
	// A NATS cluster of two has no JetStream quorum once one server is gone:
	// the node that stops last cannot write what its stop writes (its
	// members' leaves), and its Stop gives up when its 5 s are over, as it
	// should.
	slow := func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }
	wait1 := launchWith(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 1, node: 1, natsListen: "127.0.0.1:0", natsCluster: ports[0], natsRoutes: routes, natsData: t.TempDir(), limits: testLimits}, true, slow)
	wait2 := launchWith(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 1, node: 2, natsListen: "127.0.0.1:0", natsCluster: ports[1], natsRoutes: routes, natsData: t.TempDir(), limits: testLimits}, false, slow)
	one, two := wait1(), wait2()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := one.node.WaitNodes(ctx, 2); err != nil { // heartbeats cross the route
		t.Fatal(err)
	}
	ann, bob := dialTCP(t, one.tcp.String()), dialTCP(t, two.tcp.String())
	ann.login("ann")
	ann.send("/join lobby")
	ann.until("* in lobby: ann")
	ann.send("over the route")
	ann.until("[lobby] <ann> over the route")
	bob.login("bob")
	bob.send("/join lobby")
	bob.expect("[lobby] <ann> over the route")
	bob.expect("* now in lobby (1 earlier line above)")
	bob.expect("* in lobby: ann, bob")
	bob.send("and back")
	ann.until("[lobby] <bob> and back")
}

// A reconnecting client sends its hello, its joins and its unacknowledged
// lines at once, without waiting for the welcome: the server acts on them
// in order, once the nick is registered (or refuses them if it is not).
func TestPipelinedHello(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		w := dialWS(t, s)
		w.send("hello", map[string]any{"nick": "ann", "session": "ann-session-0123456789"})
		w.send("join", map[string]any{"room": "lobby", "ref": "j"})
		w.send("say", map[string]any{"room": "lobby", "text": "at once", "key": "1"})
		w.expect("welcome", `{"nick":"ann"}`)
		var joined, acked bool // in either order: the store answers each
		for !joined || !acked {
			switch e := w.next(); e.Type {
			case "joined":
				joined = joined || e.field("ref") == "j"
			case "ack":
				acked = acked || e.field("key") == "1"
			case "error":
				t.Fatalf("error %s", e.Data)
			}
		}

		taken := dialWS(t, s)
		taken.send("hello", map[string]any{"nick": "ANN", "session": "eve-session-0123456789"})
		taken.send("join", map[string]any{"room": "lobby", "ref": "j"})
		taken.expect("error", `{"text":"nick ANN is taken"}`)
		taken.expect("error", `{"ref":"j","room":"lobby","text":"choose a nick first (/nick NAME)"}`)
	})
}

// A nick changed while a join is still replaying shows in that room's
// member list too, once the join is done.
func TestNickChangeWhileJoining(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		bob := dialTCP(t, s.tcp.String())
		bob.login("bob")
		bob.send("/join lobby")
		bob.until("* in lobby: bob")
		ann := dialWS(t, s)
		ann.hello("ann", "ann-session-0123456789")
		ann.send("join", map[string]any{"room": "lobby"})
		ann.send("nick", map[string]any{"nick": "anna", "ref": "n"})
		ann.until("welcome", func(e envelope) bool { return e.field("ref") == "n" })
		bob.poll("/who", "* in lobby: anna, bob")
	})
}

// Two joins of one room back to back are each answered, as is a join sent
// while the room is rejoined quietly after a nick change.
func TestEveryJoinAnswered(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		a := dialWS(t, s)
		a.hello("ann", "ann-session-0123456789")
		a.send("join", map[string]any{"room": "lobby", "ref": "j1"})
		a.send("join", map[string]any{"room": "lobby", "ref": "j2"})
		got := map[string]bool{}
		for len(got) < 2 {
			if e := a.next(); e.Type == "joined" {
				got[e.field("ref")] = true
			}
		}
		for _, nick := range []string{"bea", "cid", "dan"} {
			a.send("nick", map[string]any{"nick": nick, "ref": "n"})
			a.until("welcome", nil)
			a.send("join", map[string]any{"room": "lobby", "ref": "j-" + nick})
			a.until("joined", func(e envelope) bool { return e.field("ref") == "j-"+nick })
		}
	})
}

// A line refused by flood control holds back the sender's later keyed
// lines, even with tokens to spare (each refusal costs its token), until it
// is sent again: so that its lines keep their order.
func TestFloodKeepsOrder(t *testing.T) {
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 1, standalone: true, limits: limits{rate: 0.5, burst: 4, strikes: 100}})
	w := dialWS(t, s)
	w.hello("ann", "ann-session-0123456789")        // one token
	w.send("join", map[string]any{"room": "lobby"}) // two
	w.until("joined", nil)
	a1 := w.says("lobby", "one", "1") // three
	w.says("lobby", "two", "2")       // four: the bucket is empty
	w.send("say", map[string]any{"room": "lobby", "text": "three", "key": "3"})
	if e := w.until("error", nil); e.field("key") != "3" || e.field("code") != "slow-down" {
		t.Fatalf("refusal %s", e.Data)
	}
	time.Sleep(2500 * time.Millisecond) // a token refills (one every 2 s)
	w.send("say", map[string]any{"room": "lobby", "text": "four", "key": "4"})
	if e := w.until("error", nil); e.field("key") != "4" || e.field("code") != "slow-down" {
		t.Fatalf("a line behind a refused one: %s", e.Data)
	}
	time.Sleep(2500 * time.Millisecond) // the refused line behind took its token: another
	a3 := w.says("lobby", "three", "3") // the refused one again: it goes
	time.Sleep(2500 * time.Millisecond)
	a4 := w.says("lobby", "four", "4")
	if a3.Type != "ack" || a4.Type != "ack" || seq(t, a1.field("pos")) >= seq(t, a3.field("pos")) || seq(t, a3.field("pos")) >= seq(t, a4.field("pos")) {
		t.Fatalf("acks %s %s %s", a1.Data, a3.Data, a4.Data)
	}
}

// A join whose room is left before its replay is done is answered too.
func TestJoinLeftAtOnceIsAnswered(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		a := dialWS(t, s)
		a.hello("ann", "ann-session-0123456789")
		a.send("join", map[string]any{"room": "lobby", "ref": "j"})
		a.send("leave", map[string]any{"room": "lobby", "ref": "l"})
		a.send("rooms", map[string]any{"ref": "r"}) // a marker: j was answered before it, or never
		answered := false
		for {
			e := a.next()
			if e.field("ref") == "j" && (e.Type == "joined" || e.Type == "error") {
				answered = true
			}
			if e.field("ref") == "r" {
				if !answered {
					t.Fatal("the join was never answered")
				}
				return
			}
		}
	})
}
