package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

const patience = 30 * time.Second

// wire is one message as both codecs put it on the wire.
type wire struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// script places coins and players at pts in turn, then always at the last.
// Only the world calls it, on its own shard. Joins from different
// connections reach the world in no set order, so a test that places
// players waits for each in a State before the next joins.
func script(pts ...position) func() position {
	return func() position {
		p := pts[0]
		if len(pts) > 1 {
			pts = pts[1:]
		}
		return p
	}
}

// start runs a game server with place until the test ends; then it checks
// that nothing it started is left running.
func start(t *testing.T, place func() position) (web, tcp net.Addr) {
	t.Helper()
	return startWith(t, config{place: place})
}

// startWith is start with more of cfg set (the addresses, shards and tick
// are the tests').
func startWith(t *testing.T, cfg config) (web, tcp net.Addr) {
	t.Helper()
	before := goleak.IgnoreCurrent() // what ran before this server
	ctx, cancel := context.WithCancel(context.Background())
	type addrs struct{ web, tcp net.Addr }
	ready := make(chan addrs, 1)
	done := make(chan error, 1)
	cfg.web, cfg.tcp, cfg.shards, cfg.tick = "127.0.0.1:0", "127.0.0.1:0", 2, 10*time.Millisecond
	go func() {
		done <- serve(ctx, cfg, func(w, t net.Addr) { ready <- addrs{w, t} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		goleak.VerifyNone(t, before)
	})
	select {
	case a := <-ready:
		return a.web, a.tcp
	case err := <-done:
		t.Fatal(err)
	}
	return nil, nil
}

// client speaks the game's JSON over TCP or WebSocket.
type client interface {
	send(t *testing.T, typ, data string)
	next(t *testing.T) wire
}

type tcpClient struct {
	c net.Conn
	r *bufio.Reader
}

func dialTCP(t *testing.T, addr net.Addr) tcpClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr.String(), patience)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(patience))
	return tcpClient{c, bufio.NewReader(c)}
}

func (c tcpClient) send(t *testing.T, typ, data string) {
	t.Helper()
	c.sendLine(t, `{"type":"`+typ+`","data":`+data+`}`)
}

func (c tcpClient) sendLine(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c.c, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (c tcpClient) next(t *testing.T) wire {
	t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var m wire
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return m
}

// closed reads c until the server closes it.
func (c tcpClient) closed(t *testing.T) {
	t.Helper()
	for {
		_, err := c.r.ReadString('\n')
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			t.Fatal("the connection is still open")
		case err != nil:
			return
		}
	}
}

type wsClient struct{ c *gorilla.Conn }

func dialWS(t *testing.T, addr net.Addr) wsClient {
	t.Helper()
	c, resp, err := (&gorilla.Dialer{HandshakeTimeout: patience, EnableCompression: true}).Dial("ws://"+addr.String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(patience))
	return wsClient{c}
}

func (w wsClient) send(t *testing.T, typ, data string) {
	t.Helper()
	if err := w.c.WriteMessage(gorilla.TextMessage, []byte(`{"type":"`+typ+`","data":`+data+`}`)); err != nil {
		t.Fatal(err)
	}
}

func (w wsClient) next(t *testing.T) wire {
	t.Helper()
	kind, b, err := w.c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var m wire
	if kind != gorilla.TextMessage || json.Unmarshal(b, &m) != nil {
		t.Fatalf("message of kind %d: %q", kind, b)
	}
	return m
}

// expect skips States and checks the next other message.
func expect(t *testing.T, c client, typ, data string) {
	t.Helper()
	m := c.next(t)
	for m.Type == "State" {
		m = c.next(t)
	}
	if m.Type != typ || string(m.Data) != data {
		t.Fatalf("got %s %s, want %s %s", m.Type, m.Data, typ, data)
	}
}

// join joins as name and returns the player's ID.
func join(t *testing.T, c client, name string) string {
	t.Helper()
	c.send(t, "Join", `{"Name":"`+name+`"}`)
	m := c.next(t)
	var w Welcome
	if m.Type != "Welcome" || json.Unmarshal(m.Data, &w) != nil || w.ID == "" || w.Size != size {
		t.Fatalf("got %s %s, want a Welcome", m.Type, m.Data)
	}
	return w.ID
}

// state reads the next State; any other message fails the test.
func state(t *testing.T, c client) State {
	t.Helper()
	m := c.next(t)
	var s State
	if m.Type != "State" {
		t.Fatalf("got %s %s, want a State", m.Type, m.Data)
	}
	if err := json.Unmarshal(m.Data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// until reads States until one satisfies ok and returns it.
func until(t *testing.T, c client, ok func(State) bool) State {
	t.Helper()
	for {
		if s := state(t, c); ok(s) {
			return s
		}
	}
}

// find returns the player with ID id in s.
func find(s State, id string) (PlayerState, bool) {
	for _, p := range s.Players {
		if p.ID == id {
			return p, true
		}
	}
	return PlayerState{}, false
}

func has(ids ...string) func(State) bool {
	return func(s State) bool {
		for _, id := range ids {
			if _, ok := find(s, id); !ok {
				return false
			}
		}
		return true
	}
}

// watch reads States until done accepts one, checking on the way that the
// ticks increase, that every player in ids is in each State, and that each
// player in dirs moves only in its direction, by at most speed per tick.
func watch(t *testing.T, c client, ids []string, dirs map[string]position, done func(State) bool) State {
	t.Helper()
	prev := until(t, c, has(ids...))
	for !done(prev) {
		s := state(t, c)
		if s.Tick <= prev.Tick {
			t.Fatalf("tick %d after tick %d", s.Tick, prev.Tick)
		}
		if !has(ids...)(s) {
			t.Fatalf("tick %d: players %+v, want %v", s.Tick, s.Players, ids)
		}
		for id, d := range dirs {
			a, _ := find(prev, id)
			b, _ := find(s, id)
			limit := speed * int(s.Tick-prev.Tick)
			for axis, step := range [2]int{b.X - a.X, b.Y - a.Y} {
				if d[axis] == 0 && step != 0 || step*d[axis] < 0 || step*d[axis] > limit {
					t.Fatalf("%s moved from %d,%d to %d,%d in %d ticks, going %v", a.Name, a.X, a.Y, b.X, b.Y, s.Tick-prev.Tick, d)
				}
			}
		}
		prev = s
	}
	return prev
}

func at(t *testing.T, s State, id string, x, y, score int) {
	t.Helper()
	if p, _ := find(s, id); p.X != x || p.Y != y || p.Score != score {
		t.Fatalf("tick %d: %+v, want at %d,%d with score %d", s.Tick, p, x, y, score)
	}
}

func TestPlayOverTCP(t *testing.T) {
	coins := []position{{50, 50}, {0, 99}, {99, 0}, {99, 99}, {0, 0}}
	_, tcp := start(t, script(append(coins, position{47, 50}, position{20, 20}, position{5, 95})...))
	ann, bob := dialTCP(t, tcp), dialTCP(t, tcp)
	annID := join(t, ann, "ann")
	at(t, until(t, ann, has(annID)), annID, 47, 50, 0)
	bobID := join(t, bob, "bob")
	for _, c := range []client{ann, bob} {
		s := until(t, c, has(annID, bobID))
		at(t, s, annID, 47, 50, 0)
		at(t, s, bobID, 20, 20, 0)
		if !slices.Equal(s.Coins, coins) {
			t.Fatalf("coins %v, want %v", s.Coins, coins)
		}
		if p, _ := find(s, bobID); p.Name != "bob" {
			t.Fatalf("bob is %+v", p)
		}
	}

	// ann runs right into the coin at 50,50, bob up; the world moves them
	// a step a tick, and the coin comes back where the script says.
	ann.send(t, "Input", `{"DX":1,"DY":0}`)
	bob.send(t, "Input", `{"DX":0,"DY":-1}`)
	dirs := map[string]position{annID: {1, 0}, bobID: {0, -1}}
	ids := []string{annID, bobID}
	for i, c := range []client{ann, bob} {
		s := watch(t, c, ids, dirs, func(s State) bool { p, _ := find(s, annID); return p.X >= 50 })
		at(t, s, annID, 50, 50, 1)
		if want := append([]position{{5, 95}}, coins[1:]...); !slices.Equal(s.Coins, want) {
			t.Fatalf("client %d: coins %v, want %v", i, s.Coins, want)
		}
		s = watch(t, c, ids, dirs, func(s State) bool { p, _ := find(s, bobID); return p.Y <= 10 })
		at(t, s, bobID, 20, 10, 0)
	}
}

func TestBadInput(t *testing.T) {
	_, tcp := start(t, script(position{0, 0}, position{1, 1}, position{2, 2}, position{3, 3}, position{4, 4}, position{30, 30}, position{10, 10}))
	cara := dialTCP(t, tcp)
	cara.send(t, "Input", `{"DX":1,"DY":0}`)
	expect(t, cara, "Problem", `{"Text":"join first"}`)
	for _, name := range []string{"", "  ", "seventeen-bytes-x"} {
		cara.send(t, "Join", `{"Name":"`+name+`"}`)
		expect(t, cara, "Problem", `{"Text":"a name of 1 to 16 bytes, please"}`)
	}
	caraID := join(t, cara, "cara")
	at(t, until(t, cara, has(caraID)), caraID, 30, 30, 0)
	for _, in := range []string{`{"DX":5,"DY":0}`, `{"DX":0,"DY":-2}`, `{"DX":1,"DY":9}`} {
		cara.send(t, "Input", in)
		expect(t, cara, "Problem", `{"Text":"DX and DY are each -1, 0 or 1"}`)
	}
	for range 5 {
		at(t, state(t, cara), caraID, 30, 30, 0)
	}

	// A line the codec cannot read closes only its own connection, and the
	// world forgets that player.
	dan := dialTCP(t, tcp)
	danID := join(t, dan, "dan")
	for _, line := range []string{
		`{"type":"Input","data":{"DX":`,
		`not json`,
		`{"type":"Teleport","data":{"X":1,"Y":1}}`,
	} {
		eve := dialTCP(t, tcp)
		eveID := join(t, eve, "eve")
		until(t, dan, has(danID, eveID, caraID))
		eve.sendLine(t, line)
		eve.closed(t)
		until(t, dan, func(s State) bool { return has(danID, caraID)(s) && !has(eveID)(s) })
	}
	dan.send(t, "Input", `{"DX":1,"DY":0}`)
	until(t, dan, func(s State) bool { p, _ := find(s, danID); return p.X == 12 })
	at(t, state(t, cara), caraID, 30, 30, 0)
}

func TestWebSocketAndTCP(t *testing.T) {
	web, tcp := start(t, script(position{0, 0}, position{1, 1}, position{2, 2}, position{3, 3}, position{4, 4}, position{60, 40}, position{10, 10}))

	// The page is served on the WebSocket's port.
	resp, err := (&http.Client{Timeout: patience}).Get("http://" + web.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<canvas") {
		t.Fatalf("page: %d", resp.StatusCode)
	}

	ann, bob := dialWS(t, web), dialTCP(t, tcp)
	annID := join(t, ann, "ann")
	until(t, ann, has(annID)) // the world placed ann before bob
	bobID := join(t, bob, "bob")
	ann.send(t, "Input", `{"DX":0,"DY":1}`)
	ids := []string{annID, bobID}
	for _, c := range []client{ann, bob} {
		s := watch(t, c, ids, map[string]position{annID: {0, 1}, bobID: {0, 0}}, func(s State) bool { p, _ := find(s, annID); return p.Y == 45 })
		at(t, s, annID, 60, 45, 0)
		at(t, s, bobID, 10, 10, 0)
	}
}

// TestGamePageInChromium loads the game page in headless Chromium with a
// link that joins: a TCP player sees the browser's player appear in the
// State, which proves the page's script and the WebSocket path end to end.
func TestGamePageInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium not installed")
	}
	web, tcp := start(t, nil)
	bob := dialTCP(t, tcp)
	join(t, bob, "bob")

	cmd := exec.Command(browser, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--disable-extensions", "--user-data-dir="+t.TempDir(),
		"http://"+web.String()+"/#name=ann")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers die with it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	until(t, bob, func(s State) bool {
		return slices.ContainsFunc(s.Players, func(p PlayerState) bool { return p.Name == "ann" })
	})
}

func TestServeRejectsBadTick(t *testing.T) {
	for _, tick := range []time.Duration{0, -time.Second} {
		err := serve(context.Background(), config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 1, tick: tick}, func(net.Addr, net.Addr) {
			t.Error("ready called")
		})
		if err == nil {
			t.Errorf("tick %v: no error", tick)
		}
	}
}

// A bug in the world (a panic at tick 20) does not end the game: the world
// is restarted fresh, asks the players still connected to join again, and
// its States show them all again, from tick 1.
func TestWorldRecoversFromAPanic(t *testing.T) {
	crashed := false // the world's own: read and written on its shard only
	_, tcp := startWith(t, config{fault: func(n uint64) error {
		if n == 20 && !crashed {
			crashed = true
			return errors.New("a bug in the world")
		}
		return nil
	}})
	ann, bob := dialTCP(t, tcp), dialTCP(t, tcp)
	annID, bobID := join(t, ann, "ann"), join(t, bob, "bob")
	last := until(t, ann, has(annID, bobID)).Tick
	for {
		s := state(t, ann)
		if s.Tick < last { // the new world's first States
			break
		}
		last = s.Tick
	}
	s := until(t, ann, has(annID, bobID))
	if p, _ := find(s, bobID); p.Name != "bob" || s.Tick > 20 {
		t.Fatalf("after the restart: tick %d, bob %+v", s.Tick, p)
	}
	until(t, bob, has(annID, bobID))
}
