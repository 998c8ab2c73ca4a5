package main

import (
	"bufio"
	"context"
	"encoding/json"
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

// patience bounds every wait of the tests.
const patience = 20 * time.Second

// testLimits keep flood control out of the way of tests that are not
// about it.
var testLimits = limits{rate: 1000, burst: 1000, strikes: 20}

// server is a running chat server.
type server struct {
	web, tcp net.Addr
	node     *cluster.Node
	stop     func() // stops it gracefully, as Ctrl-C does, and waits; the test's end does it too
}

// standalone runs a standalone chat server until the test ends.
func standalone(t *testing.T) server {
	t.Helper()
	return startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, limits: testLimits})
}

// firstNode runs a chat server that is node 1 of a cluster with its own
// embedded NATS server (JetStream in a temporary directory).
func firstNode(t *testing.T) server {
	t.Helper()
	return startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, node: 1, natsListen: "127.0.0.1:0", heartbeat: 200 * time.Millisecond, limits: testLimits})
}

// nextNode runs node n of first's cluster.
func nextNode(t *testing.T, first server, n int) server {
	t.Helper()
	// No leak check of its own: the first node's, which ends last, covers
	// it (and goroutines the first node starts meanwhile are not this one's).
	s := run(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, node: n, nats: first.node.ClientURL(), heartbeat: 200 * time.Millisecond, limits: testLimits}, false)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := first.node.WaitNodes(ctx, n); err != nil {
		t.Fatal(err)
	}
	return s
}

// startNode runs a chat server with cfg until the test ends (or its stop);
// then it checks that nothing it started is left running.
func startNode(t *testing.T, cfg config) server {
	t.Helper()
	return run(t, cfg, true)
}

// run is startNode, with a leak check or without.
func run(t *testing.T, cfg config, leaks bool) server {
	t.Helper()
	return launch(t, cfg, leaks)()
}

// launch starts a chat server with cfg, stopped when the test ends, and
// returns the function that waits until it is ready: servers that need
// each other to start (the JetStream of a NATS cluster needs its servers
// up) are launched first, then waited for.
func launch(t *testing.T, cfg config, leaks bool) (wait func() server) {
	t.Helper()
	return launchWith(t, cfg, leaks, nil)
}

// launchWith is launch where an error of serve for which ok holds is not a
// failure of the test.
func launchWith(t *testing.T, cfg config, leaks bool, ok func(error) bool) (wait func() server) {
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
	var failed error // serve's error, if it returned before it was ready
	stop := func() {
		once.Do(func() {
			cancel()
			err := failed
			if err == nil {
				err = <-done
			}
			if err != nil && (ok == nil || !ok(err)) {
				t.Error(err)
			}
			if leaks {
				goleak.VerifyNone(t, before)
			}
		})
	}
	t.Cleanup(stop)
	return func() server {
		t.Helper()
		select {
		case s := <-ready:
			s.stop = stop
			return s
		case err := <-done:
			failed = err
			t.Fatal(err)
		}
		return server{}
	}
}

// envelope is one WebSocket message.
type envelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// field returns a string field of the envelope's data.
func (e envelope) field(name string) string {
	var m map[string]any
	json.Unmarshal(e.Data, &m)
	switch v := m[name].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// wsClient is a WebSocket client of the chat (gorilla's, an independent
// implementation).
type wsClient struct {
	t *testing.T
	c *gorilla.Conn
}

func dialWS(t *testing.T, s server) *wsClient {
	t.Helper()
	c, resp, err := (&gorilla.Dialer{HandshakeTimeout: patience, EnableCompression: true}).Dial("ws://"+s.web.String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { c.Close() })
	return &wsClient{t, c}
}

// send sends one message; data is anything encoding/json takes.
func (w *wsClient) send(typ string, data any) {
	w.t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "data": data})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.c.WriteMessage(gorilla.TextMessage, b); err != nil {
		w.t.Fatal(err)
	}
}

// next reads the next message, failing the test after patience.
func (w *wsClient) next() envelope {
	w.t.Helper()
	w.c.SetReadDeadline(time.Now().Add(patience))
	kind, b, err := w.c.ReadMessage()
	if err != nil {
		w.t.Fatal(err)
	}
	if kind != gorilla.TextMessage {
		w.t.Fatalf("message of kind %d, want text", kind)
	}
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		w.t.Fatalf("%q: %v", b, err)
	}
	return e
}

// expect reads the next message and checks its type and data (as JSON).
func (w *wsClient) expect(typ, data string) envelope {
	w.t.Helper()
	e := w.next()
	if e.Type != typ || (data != "" && !sameJSON(e.Data, data)) {
		w.t.Fatalf("got %s %s, want %s %s", e.Type, e.Data, typ, data)
	}
	return e
}

// until reads messages until one of type typ for which ok (nil: any)
// holds, and returns it.
func (w *wsClient) until(typ string, ok func(envelope) bool) envelope {
	w.t.Helper()
	for {
		e := w.next()
		if e.Type == typ && (ok == nil || ok(e)) {
			return e
		}
	}
}

// hello opens a session with nick and waits for the welcome.
func (w *wsClient) hello(nick, session string) {
	w.t.Helper()
	w.send("hello", map[string]any{"nick": nick, "session": session, "ref": "h"})
	w.expect("welcome", `{"nick":"`+nick+`","ref":"h"}`)
}

func sameJSON(a []byte, b string) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// tcpClient is a TCP client of the chat: text lines, as nc.
type tcpClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialTCP(t *testing.T, addr string) *tcpClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc := &tcpClient{t, c, bufio.NewReader(c)}
	tc.expect("* welcome to Shoal chat: /nick NAME, then /join ROOM (/help lists the commands)")
	return tc
}

func (c *tcpClient) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, line+"\n"); err != nil {
		c.t.Fatal(err)
	}
}

// next reads the next line (without its newline).
func (c *tcpClient) next() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(patience))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (after %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

func (c *tcpClient) expect(want string) {
	c.t.Helper()
	if got := c.next(); got != want {
		c.t.Fatalf("got %q, want %q", got, want)
	}
}

// until reads lines until want, and returns those before it.
func (c *tcpClient) until(want string) []string {
	c.t.Helper()
	var before []string
	for {
		line := c.next()
		if line == want {
			return before
		}
		before = append(before, line)
	}
}

// poll sends cmd until its answer is want.
func (c *tcpClient) poll(cmd, want string) {
	c.t.Helper()
	deadline := time.Now().Add(patience)
	for {
		c.send(cmd)
		got := c.next()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: got %q, want %q", cmd, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// login sets the client's nick.
func (c *tcpClient) login(nick string) {
	c.t.Helper()
	c.send("/nick " + nick)
	c.expect("* welcome, " + nick)
}

// closed checks that the server closes the connection (after lines it may
// still send).
func (c *tcpClient) closed() {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(patience))
	if _, err := io.ReadAll(c.r); err != nil {
		c.t.Fatalf("not closed: %v", err)
	}
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

// get fetches a page of the server.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: patience}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
