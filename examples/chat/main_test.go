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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/shoalrt/shoal/cluster"
)

const patience = 20 * time.Second

// wire is one message as both codecs put it on the wire.
type wire struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func start(t *testing.T) (web, tcp net.Addr) {
	t.Helper()
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true})
	return s.web, s.tcp
}

// server is a running chat server.
type server struct {
	web, tcp net.Addr
	node     *cluster.Node
	stop     func() // stops it gracefully, as Ctrl-C does, and waits; the test's end does it too
}

// startNode runs a chat server with cfg until the test ends (or its stop);
// then it checks that nothing it started is left running.
func startNode(t *testing.T, cfg config) server {
	t.Helper()
	before := goleak.IgnoreCurrent() // what ran before this server
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan server, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, func(w, t net.Addr, n *cluster.Node) {
			ready <- server{web: w, tcp: t, node: n}
		})
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
			goleak.VerifyNone(t, before)
		})
	}
	t.Cleanup(stop)
	select {
	case s := <-ready:
		s.stop = stop
		return s
	case err := <-done:
		t.Fatal(err)
	}
	return server{}
}

// wsClient and tcpClient speak the chat's JSON over each transport.
type client interface {
	send(t *testing.T, typ, data string)
	next(t *testing.T) wire
}

type wsClient struct{ c *gorilla.Conn }

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
	if kind != gorilla.TextMessage {
		t.Fatalf("message of kind %d, want text", kind)
	}
	var m wire
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return m
}

type tcpClient struct {
	c net.Conn
	r *bufio.Reader
}

func (c tcpClient) send(t *testing.T, typ, data string) {
	t.Helper()
	if _, err := io.WriteString(c.c, `{"type":"`+typ+`","data":`+data+"}\n"); err != nil {
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

// expect reads the next message and checks its type and data.
func expect(t *testing.T, c client, typ, data string) {
	t.Helper()
	m := c.next(t)
	if m.Type != typ || string(m.Data) != data {
		t.Fatalf("got %s %s, want %s %s", m.Type, m.Data, typ, data)
	}
}

func TestChatAcrossTransports(t *testing.T) {
	web, tcp := start(t)

	// The page is served on the WebSocket's port.
	resp, err := (&http.Client{Timeout: patience}).Get("http://" + web.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "new WebSocket") {
		t.Fatalf("page: %d", resp.StatusCode)
	}

	wc, resp, err := (&gorilla.Dialer{HandshakeTimeout: patience, EnableCompression: true}).Dial("ws://"+web.String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer wc.Close()
	wc.SetReadDeadline(time.Now().Add(patience))
	ann := wsClient{wc}

	bob := dialTCP(t, tcp.String())

	// Bad input gets a Problem and loses nothing else.
	ann.send(t, "Say", `{"Text":"too early"}`)
	expect(t, ann, "Problem", `{"Text":"join a room first"}`)
	bob.send(t, "Join", `{"Room":"","Name":"bob"}`)
	expect(t, bob, "Problem", `{"Text":"a room and a name of 1 to 32 bytes, please"}`)

	ann.send(t, "Join", `{"Room":"lobby","Name":"ann"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"ann"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"bob"}`)

	ann.send(t, "Say", `{"Text":"hi bob, from a browser"}`)
	for _, c := range []client{ann, bob} {
		expect(t, c, "Said", `{"Room":"lobby","From":"ann","Text":"hi bob, from a browser"}`)
	}
	bob.send(t, "Say", `{"Text":"hi ann, from nc"}`)
	for _, c := range []client{ann, bob} {
		expect(t, c, "Said", `{"Room":"lobby","From":"bob","Text":"hi ann, from nc"}`)
	}

	// Moving to another room leaves the first; a message of an unknown type
	// closes only the connection that sent it, and the room hears it left.
	bob.send(t, "Join", `{"Room":"den","Name":"bob"}`)
	expect(t, ann, "Left", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"den","Name":"bob"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	bob.send(t, "Shout", `{}`)
	if _, err := bob.r.ReadString('\n'); err == nil {
		t.Fatal("the connection that sent an unknown type is still open")
	}
	expect(t, ann, "Left", `{"Room":"lobby","Name":"bob"}`)
	ann.send(t, "Say", `{"Text":"still here"}`)
	expect(t, ann, "Said", `{"Room":"lobby","From":"ann","Text":"still here"}`)
}

// TestChatPageInChromium loads the chat page in headless Chromium with a
// link that joins a room: a TCP member of that room sees the browser join,
// which proves the page's script and the WebSocket path end to end.
func TestChatPageInChromium(t *testing.T) {
	browser := findChromium(t)
	web, tcp := start(t)
	bob := dialTCP(t, tcp.String())
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)

	runChromium(t, browser, "http://"+web.String()+"/#room=lobby&name=chromium")
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"chromium"}`)
}

// findChromium returns the path of a Chromium, or skips the test (fails it
// in CI, which installs one).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs it")
	}
	t.Skip("chromium not installed")
	return ""
}

// runChromium opens url in headless Chromium, with flags, until the test
// ends.
func runChromium(t *testing.T, browser, url string, flags ...string) {
	t.Helper()
	args := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--disable-extensions", "--user-data-dir=" + t.TempDir()}, flags...)
	cmd := exec.Command(browser, append(args, url)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers die with it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
}

// dialTCP connects a TCP chat client to addr, closed when the test ends.
func dialTCP(t *testing.T, addr string) tcpClient {
	t.Helper()
	tc, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	tc.SetDeadline(time.Now().Add(patience))
	return tcpClient{tc, bufio.NewReader(tc)}
}

// TestChatAcrossNodes runs two chat servers as nodes of one cluster, the
// first with the embedded NATS server: a browser-side member on node 1 and a
// TCP member on node 2 share a room.
func TestChatAcrossNodes(t *testing.T) {
	one := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, node: 1, natsListen: "127.0.0.1:0"})
	two := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, node: 2, nats: one.node.ClientURL()})
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := one.node.WaitNodes(ctx, 2); err != nil {
		t.Fatal(err)
	}

	wc, resp, err := (&gorilla.Dialer{HandshakeTimeout: patience}).Dial("ws://"+one.web.String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer wc.Close()
	wc.SetReadDeadline(time.Now().Add(patience))
	ann := wsClient{wc}
	bob := dialTCP(t, two.tcp.String())

	ann.send(t, "Join", `{"Room":"lobby","Name":"ann"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"ann"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	// ann's join went to the other nodes before bob was in the room; if its
	// publication reached NATS after bob's node subscribed, bob sees it too.
	annJoined := func(m wire) bool { return m.Type == "Joined" && string(m.Data) == `{"Room":"lobby","Name":"ann"}` }
	// A node hears a room's broadcasts from the others once its
	// subscription reached NATS: bob speaks until ann, on the other node,
	// hears him (the first lines may go before node 1's interest arrived).
	said := `{"Room":"lobby","From":"bob","Text":"hi from node 2"}`
	heard := make(chan wire, 1)
	go func() { // reads ann's messages until bob's line (ann.next fails the test on a timeout)
		for {
			kind, b, err := wc.ReadMessage()
			var m wire
			if err != nil || kind != gorilla.TextMessage || json.Unmarshal(b, &m) != nil || m.Type == "Said" && string(m.Data) == said {
				heard <- m
				return
			}
		}
	}()
	for done := false; !done; {
		bob.send(t, "Say", `{"Text":"hi from node 2"}`)
		expectAfter(t, bob, annJoined, "Said", said)
		select {
		case m := <-heard:
			if string(m.Data) != said {
				t.Fatalf("ann never heard bob: %s %s", m.Type, m.Data)
			}
			done = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	// And back: ann's line reaches bob on node 2, once.
	ann.send(t, "Say", `{"Text":"hi from node 1"}`)
	expectAfter(t, bob, annJoined, "Said", `{"Room":"lobby","From":"ann","Text":"hi from node 1"}`)
	bob.send(t, "Join", `{"Room":"den","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"den","Name":"bob"}`)
	skip := func(m wire) bool { return m.Type == "Said" && string(m.Data) == said } // bob's lines after the first ann heard
	expectAfter(t, ann, skip, "Said", `{"Room":"lobby","From":"ann","Text":"hi from node 1"}`)
	expectAfter(t, ann, skip, "Left", `{"Room":"lobby","Name":"bob"}`)
}

// expectAfter is expect that first skips the messages skip accepts.
func expectAfter(t *testing.T, c client, skip func(wire) bool, typ, data string) {
	t.Helper()
	m := c.next(t)
	for skip(m) {
		m = c.next(t)
	}
	if m.Type != typ || string(m.Data) != data {
		t.Fatalf("got %s %s, want %s %s", m.Type, m.Data, typ, data)
	}
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
			bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
			expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
			resp, err := (&http.Client{Timeout: patience}).Get("http://" + addr + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{`shoal_connections{shard="0"}`, `shoal_messages_in_total{shard="1"}`} {
				if !strings.Contains(string(body), want) {
					t.Fatalf("no %s in\n%s", want, body)
				}
			}
			if got := strings.Contains(string(body), "shoal_cluster_peers 0"); got != tc.clusterWant {
				t.Fatalf("shoal_cluster_peers 0 served: %v, want %v, in\n%s", got, tc.clusterWant, body)
			}
		})
	}
}

// TestChatNodesWithRoutedServers runs two chat servers each with its own
// embedded NATS server, the two routed into one NATS cluster
// (-nats-cluster, -nats-routes): a member on each node shares a room.
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
	one := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 1, node: 1, natsListen: "127.0.0.1:0", natsCluster: ports[0], natsRoutes: routes})
	two := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 1, node: 2, natsListen: "127.0.0.1:0", natsCluster: ports[1], natsRoutes: routes})
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := one.node.WaitNodes(ctx, 2); err != nil { // heartbeats cross the route
		t.Fatal(err)
	}
	ann, bob := dialTCP(t, one.tcp.String()), dialTCP(t, two.tcp.String())
	ann.send(t, "Join", `{"Room":"lobby","Name":"ann"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"ann"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	annJoined := func(m wire) bool { return m.Type == "Joined" && string(m.Data) == `{"Room":"lobby","Name":"ann"}` }
	said := `{"Room":"lobby","From":"bob","Text":"over the route"}`
	for { // until node 1's interest in the room crossed the route
		bob.send(t, "Say", `{"Text":"over the route"}`)
		expectAfter(t, bob, annJoined, "Said", said)
		ann.c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		line, err := ann.r.ReadString('\n')
		if err == nil && strings.Contains(line, "over the route") {
			break
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatal("ann on node 1 never heard bob on node 2")
		}
	}
}
