package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// The test of this file runs three chat nodes as child processes of the
// test binary, on a NATS server (JetStream) in a child process too, with
// WebSocket clients on every node all talking in one room, and kills one
// node with SIGKILL mid-conversation: its clients come back on the
// survivors as the client library (js/shoal.js) does, and nothing
// acknowledged is lost, repeated or reordered for anyone.

// killHeartbeat is the children's cluster heartbeat: a node is reported
// down within (HeartbeatMisses+1) × killHeartbeat of its death. Not
// shorter: with 100 ms (a live node presumed dead after 300 ms of silence)
// a loaded machine under -race took live nodes for dead now and then, and
// the lowest-numbered live node then removes their members' presence and
// names from the store for good (they do not come back when the node is
// heard again), which fails the member list check.
const killHeartbeat = 250 * time.Millisecond

// TestHelperChatNode is the child process of TestChatKill, not a test: chat
// node $CHAT_NODE of the cluster on the NATS server at $CHAT_NATS. Once it
// serves and sees the other nodes of $CHAT_NODES it prints "ready WEB TCP"
// (its addresses); it stops gracefully when its standard input closes (the
// parent ended, or dropped it).
func TestHelperChatNode(t *testing.T) {
	if os.Getenv("CHAT_KILL_CHILD") != "1" {
		t.Skip("the child process of TestChatKill")
	}
	node, err := strconv.Atoi(os.Getenv("CHAT_NODE"))
	if err != nil {
		t.Fatal(err)
	}
	var others []int
	for _, f := range strings.Split(os.Getenv("CHAT_NODES"), ",") {
		if n, err := strconv.Atoi(f); err == nil && n != node {
			others = append(others, n)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	cfg := config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, node: node, nats: os.Getenv("CHAT_NATS"),
		heartbeat: killHeartbeat, limits: testLimits, history: 1000, historyAge: time.Hour} // every line of the test: a gap would lose some
	err = serve(ctx, cfg, func(web, tcp net.Addr, n *cluster.Node) {
		go func() {
			wctx, wcancel := context.WithTimeout(ctx, patience)
			defer wcancel()
			if err := n.WaitNodes(wctx, others...); err != nil {
				fmt.Fprintln(os.Stderr, "node", node, "never saw the others:", err)
				os.Exit(1)
			}
			fmt.Printf("ready %s %s\n", web, tcp)
		}()
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "node", node, "serve:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestHelperChatNATS is a child process of TestChatKill too: the NATS
// server (JetStream, in a temporary directory) the chat nodes connect to,
// in a process of its own so that the test's clients do not slow the
// heartbeats it carries. It prints "ready URL", and shuts down when its
// standard input closes.
func TestHelperChatNATS(t *testing.T) {
	if os.Getenv("CHAT_KILL_NATS") != "1" {
		t.Skip("the NATS server of TestChatKill")
	}
	srv := &natsserver.Server{Listen: "127.0.0.1:0", JetStream: true}
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := srv.WaitJetStream(ctx); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready", url)
	io.Copy(io.Discard, os.Stdin)
	srv.Shutdown()
	os.Exit(0)
}

// child is a child process of TestChatKill: a chat node, or the NATS
// server.
type child struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *childOutput
}

// childOutput collects a child's standard output and error, and says
// when it printed its ready line.
type childOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer // stderr and stdout, for a failure's report
	line  []byte       // stdout's unfinished line
	ready chan string  // the ready line's addresses
	sent  bool
}

func (o *childOutput) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(b)
	o.line = append(o.line, b...)
	for !o.sent {
		i := bytes.IndexByte(o.line, '\n')
		if i < 0 {
			break
		}
		l := string(o.line[:i])
		o.line = o.line[i+1:]
		if rest, ok := strings.CutPrefix(l, "ready "); ok {
			o.ready <- rest
			o.sent = true
		}
	}
	if o.sent {
		o.line = nil
	}
	return len(b), nil
}

func (o *childOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// spawn starts the test binary's helper test run with env; it returns at
// once (see ready). The test's end stops it: its stdin closed, then SIGKILL
// if it is not gone within patience.
func spawn(t *testing.T, name, run string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+run+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	out := &childOutput{ready: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = patience // Wait returns even if something else holds the output pipes
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{name: name, cmd: cmd, stdin: stdin, out: out}
	t.Cleanup(func() {
		c.stop(t)
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, out)
			return
		}
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, " WARN ") || strings.Contains(l, " ERROR ") {
				t.Logf("%s: %s", name, l)
			}
		}
	})
	return c
}

// ready waits for the child to print its ready line, and returns what
// follows "ready ".
func (c *child) ready(t *testing.T) string {
	t.Helper()
	select {
	case addr := <-c.out.ready:
		return addr
	case <-time.After(2 * patience):
		t.Fatalf("%s never got ready:\n%s", c.name, c.out)
	}
	return ""
}

// kill kills the child with SIGKILL: no goodbye, nothing flushed.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
}

// stop ends the child gracefully (its stdin closes), or with SIGKILL if
// it takes longer than patience.
func (c *child) stop(t *testing.T) {
	c.stdin.Close()
	if c.cmd.ProcessState != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		c.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(patience):
		t.Errorf("%s did not stop within %v: killed", c.name, patience)
		c.cmd.Process.Kill()
		<-done
	}
}

// wireData is the data of any message from the server.
type wireData struct {
	Room, From, Text, Pos, Key, Ref, Nick string
	Dup, Joined                           bool
	Nicks                                 []string
}

// heard is a line a client received.
type heard struct {
	from, text string
	pos        actor.Position
}

// chatClient is a WebSocket client of the chat that behaves as the client
// library (js/shoal.js) in a page: a session kept across reconnects; on
// every connection hello, join from the last position seen, and the resend
// of every line not yet acknowledged (same keys, in order); lines at or
// before the last position seen dropped; on a lost connection, the next
// node's URL after a short back-off. Its nick is held by its old
// connection's member until that one's node is declared down: the server
// holds the hello (and what follows it) until then (see PROTOCOL.md, When
// a node dies).
type chatClient struct {
	id            int
	nick, session string
	room          string
	urls          []string // its own node first
	lines         int      // lines to say
	window        int      // lines in flight at most
	pace          time.Duration

	mu       sync.Mutex
	last     actor.Position // the last position seen
	sent     int            // keys 1..sent were sent at least once
	acks     map[int]actor.Position
	dups     int // acks with dup: true
	got      []heard
	dropped  int // lines dropped, at or before the last position
	joinedAt time.Time
	url      string               // the current connection's
	left     map[string]time.Time // nick -> when a presence leave for it came
	members  chan []string        // answers to who
	errs     []string             // what went wrong
	trace    []string             // the last messages, for a failure's report
	taken    int                  // hellos answered "taken" (a failure)
	conn     *gorilla.Conn        // the current connection
	wmu      sync.Mutex           // one writer at a time on conn
	asks     int                  // who requests made
}

func (c *chatClient) note(s string) {
	if len(c.trace) == 20 {
		c.trace = append(c.trace[:0], c.trace[1:]...)
	}
	c.trace = append(c.trace, time.Now().Format("15:04:05.000 ")+s)
}

func (c *chatClient) fail(s string) {
	c.errs = append(c.errs, s)
	c.note("ERROR " + s)
}

// write sends one message on conn.
func (c *chatClient) write(conn *gorilla.Conn, typ string, data map[string]any) error {
	b, err := json.Marshal(map[string]any{"type": typ, "data": data})
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	conn.SetWriteDeadline(time.Now().Add(patience))
	return conn.WriteMessage(gorilla.TextMessage, b)
}

// run connects, reconnects and talks until ctx ends.
func (c *chatClient) run(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for try := 0; ctx.Err() == nil; try++ {
		url := c.urls[try%len(c.urls)]
		d := gorilla.Dialer{HandshakeTimeout: 2 * time.Second, EnableCompression: true}
		conn, resp, err := d.DialContext(ctx, url, nil)
		if err != nil {
			c.mu.Lock()
			c.note(fmt.Sprintf("dial %s: %v", url, err))
			c.mu.Unlock()
			sleep(ctx, backoff)
			backoff = min(2*backoff, 400*time.Millisecond)
			continue
		}
		resp.Body.Close()
		if c.session1(ctx, conn, url) {
			backoff = 50 * time.Millisecond
		}
		sleep(ctx, backoff)
	}
}

// sleep sleeps for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// session1 runs one connection until it fails or ctx ends; it says whether
// the connection got as far as a welcome.
func (c *chatClient) session1(ctx context.Context, conn *gorilla.Conn, url string) (welcomed bool) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	sctx, cancel := context.WithCancel(ctx)
	var sender sync.WaitGroup
	defer sender.Wait()
	defer cancel()
	c.mu.Lock()
	c.note("connected to " + url)
	c.url, c.conn = url, conn
	c.mu.Unlock()
	// As the library does: the hello, the join from the last position seen
	// and the resend of what is not acknowledged (in order, with the same
	// keys) at once, without waiting for the welcome (the server holds
	// them until the nick is registered, waiting for a dead node's old
	// holder to be released if need be).
	hello := map[string]any{"nick": c.nick, "session": c.session, "ref": "h"}
	c.mu.Lock()
	join := map[string]any{"room": c.room, "ref": "j"}
	if !c.last.IsZero() {
		join["since"] = c.last.String()
	}
	var resend []int
	for k := 1; k <= c.sent; k++ {
		if _, ok := c.acks[k]; !ok {
			resend = append(resend, k)
		}
	}
	c.note(fmt.Sprintf("hello, join since %v, resend %v", join["since"], resend))
	c.mu.Unlock()
	if c.write(conn, "hello", hello) != nil || c.write(conn, "join", join) != nil {
		return false
	}
	for _, k := range resend {
		if c.write(conn, "say", c.say(k)) != nil {
			return false
		}
	}
	for {
		conn.SetReadDeadline(time.Now().Add(patience))
		_, b, err := conn.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.note(fmt.Sprintf("read from %s: %v", url, err))
			c.mu.Unlock()
			return welcomed
		}
		var e envelope
		var d wireData
		if json.Unmarshal(b, &e) != nil || json.Unmarshal(e.Data, &d) != nil {
			c.mu.Lock()
			c.fail(fmt.Sprintf("unreadable %q", b))
			c.mu.Unlock()
			continue
		}
		c.mu.Lock()
		if e.Type != "line" {
			c.note(fmt.Sprintf("< %s %s", e.Type, e.Data))
		}
		switch e.Type {
		case "welcome":
			welcomed = true
			c.mu.Unlock()
			sender.Add(1)
			go c.talk(sctx, conn, &sender)
			continue
		case "error":
			if d.Ref == "h" && d.Text == "nick "+c.nick+" is taken" {
				c.taken++ // the server gave up waiting for the old holder
			}
			c.fail(fmt.Sprintf("error %s", e.Data))
		case "line":
			pos, err := actor.ParsePosition(d.Pos)
			switch {
			case err != nil:
				c.fail(fmt.Sprintf("line %s: %v", e.Data, err))
			case !c.last.IsZero() && pos.Epoch == c.last.Epoch && pos.Seq <= c.last.Seq:
				c.dropped++ // replayed twice: dropped, as the library does
			default:
				c.last = pos
				c.got = append(c.got, heard{d.From, d.Text, pos})
			}
		case "joined":
			c.joinedAt = time.Now()
			if pos, err := actor.ParsePosition(d.Pos); err == nil && (c.last.IsZero() || pos.Epoch != c.last.Epoch || pos.Seq > c.last.Seq) {
				c.last = pos // never back
			}
		case "ack":
			k, err := strconv.Atoi(d.Key)
			pos, perr := actor.ParsePosition(d.Pos)
			if err != nil || perr != nil || k < 1 || k > c.sent {
				c.fail(fmt.Sprintf("ack %s", e.Data))
				break
			}
			if old, ok := c.acks[k]; ok && old != pos {
				c.fail(fmt.Sprintf("key %d acknowledged at %v and %v", k, old, pos))
			}
			c.acks[k] = pos
			if d.Dup {
				c.dups++
			}
		case "gap": // the room's history no longer reaches back to c.last: lines lost
			c.fail(fmt.Sprintf("gap %s", e.Data))
		case "presence":
			if !d.Joined {
				if c.left == nil {
					c.left = map[string]time.Time{}
				}
				c.left[d.Nick] = time.Now()
			}
		case "members":
			if d.Ref == fmt.Sprint("w", c.asks) {
				select {
				case c.members <- d.Nicks:
				default:
				}
			}
		}
		c.mu.Unlock()
	}
}

// say is the data of line k.
func (c *chatClient) say(k int) map[string]any {
	return map[string]any{"room": c.room, "text": fmt.Sprintf("%s line %d", c.nick, k), "key": strconv.Itoa(k)}
}

// talk says the client's next lines on conn at its pace, with at most
// window of them in flight, until ctx ends or all are sent.
func (c *chatClient) talk(ctx context.Context, conn *gorilla.Conn, done *sync.WaitGroup) {
	defer done.Done()
	for ctx.Err() == nil {
		c.mu.Lock()
		if c.sent == c.lines {
			c.mu.Unlock()
			return
		}
		if c.sent-len(c.acks) >= c.window {
			c.mu.Unlock()
			sleep(ctx, 5*time.Millisecond)
			continue
		}
		c.sent++
		k := c.sent
		c.mu.Unlock()
		if c.write(conn, "say", c.say(k)) != nil {
			return // resent by the next connection
		}
		sleep(ctx, c.pace)
	}
}

// acked returns how many of its lines are acknowledged.
func (c *chatClient) acked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acks)
}

// who asks the room's members over the client's current connection and
// waits for the answer (nil if none came).
func (c *chatClient) who() []string {
	c.mu.Lock()
	conn := c.conn
	c.asks++
	ref := fmt.Sprint("w", c.asks)
	c.mu.Unlock()
	if c.write(conn, "who", map[string]any{"room": c.room, "ref": ref}) != nil {
		return nil
	}
	select {
	case nicks := <-c.members:
		return nicks
	case <-time.After(2 * time.Second):
		return nil
	}
}

// TestChatKill: three chat nodes in child processes on a NATS server with
// JetStream (a child process too); three WebSocket clients on each, all in
// one room, each saying its lines; one node is killed with SIGKILL
// midway. Its clients reconnect to the survivors and go on; in the end
// every client has every acknowledged line of the room exactly once, each
// sender's in its order; the dead node's members leave the room's member
// list and the survivors get a presence note for each.
func TestChatKill(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process")
	}
	start := time.Now()
	before := goleak.IgnoreCurrent()
	// The cleanups run last first: the clients stop, then the nodes, then
	// NATS; then nothing of the test may be left running.
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	nats := spawn(t, "NATS", "TestHelperChatNATS", "CHAT_KILL_NATS=1")
	url := nats.ready(t)

	const nodes, perNode, lines = 3, 3, 30
	const dead = 1 // the node killed (the lowest-numbered, which otherwise sweeps up after the dead)
	var ns []*child
	var wsURLs []string
	for n := 1; n <= nodes; n++ {
		ns = append(ns, spawn(t, fmt.Sprint("node ", n), "TestHelperChatNode",
			"CHAT_KILL_CHILD=1", "CHAT_NODE="+strconv.Itoa(n), "CHAT_NODES=1,2,3", "CHAT_NATS="+url))
	}
	for _, n := range ns {
		web, _, _ := strings.Cut(n.ready(t), " ")
		wsURLs = append(wsURLs, "ws://"+web+"/ws")
	}
	t.Logf("%d nodes ready %v after the start", nodes, time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		running.Wait()
	})
	var cs []*chatClient
	for i := range nodes * perNode {
		own := i % nodes
		var urls []string
		for k := range nodes {
			urls = append(urls, wsURLs[(own+k)%nodes])
		}
		c := &chatClient{id: i, nick: fmt.Sprintf("c%d-n%d", i, own+1), session: fmt.Sprintf("kill-test-session-%02d", i),
			room: "lobby", urls: urls, lines: lines, window: 3, pace: 25 * time.Millisecond,
			acks: map[int]actor.Position{}, members: make(chan []string, 1)}
		cs = append(cs, c)
		running.Add(1)
		go func() {
			defer running.Done()
			c.run(ctx)
		}()
	}
	onDead := func(c *chatClient) bool { return c.urls[0] == wsURLs[dead-1] }
	report := func(c *chatClient) string {
		c.mu.Lock()
		defer c.mu.Unlock()
		return fmt.Sprintf("client %s (%d of %d acknowledged, %d lines heard, on %s, errors %q); its last messages:\n%s",
			c.nick, len(c.acks), c.lines, len(c.got), c.url, c.errs, strings.Join(c.trace, "\n"))
	}
	waitAll := func(what string, ok func(c *chatClient) bool) {
		t.Helper()
		deadline := time.Now().Add(patience)
		for _, c := range cs {
			for !ok(c) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: not within %v: %s", what, patience, report(c))
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}

	// Midway: half the lines acknowledged.
	total := func() (n int) {
		for _, c := range cs {
			n += c.acked()
		}
		return n
	}
	deadline := time.Now().Add(patience)
	for total() < len(cs)*lines/2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lines acknowledged within %v: %s", total(), len(cs)*lines, patience, report(cs[0]))
		}
		time.Sleep(5 * time.Millisecond)
	}
	atKill := total()
	ns[dead-1].kill(t)
	killed := time.Now()
	t.Logf("node %d killed with %d of %d lines acknowledged", dead, atKill, len(cs)*lines)

	// The dead node's clients come back on the survivors.
	waitAll("back on a survivor", func(c *chatClient) bool {
		if !onDead(c) {
			return true
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.joinedAt.After(killed)
	})
	var back time.Duration
	taken := 0
	for _, c := range cs {
		if onDead(c) {
			c.mu.Lock()
			back = max(back, c.joinedAt.Sub(killed))
			taken += c.taken
			c.mu.Unlock()
		}
	}
	// Every line acknowledged, then heard by everyone.
	waitAll("every line acknowledged", func(c *chatClient) bool { return c.acked() == c.lines })
	acked := time.Since(killed)
	want := map[string]actor.Position{} // text -> position
	for _, c := range cs {
		c.mu.Lock()
		for k, pos := range c.acks {
			want[c.say(k)["text"].(string)] = pos
		}
		c.mu.Unlock()
	}
	waitAll("every acknowledged line heard", func(c *chatClient) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := 0
		for _, h := range c.got {
			if _, ok := want[h.text]; ok {
				n++
			}
		}
		return n >= len(want)
	})
	heardAll := time.Since(killed)

	// The dead node's old members leave the member list: each nick once.
	var nicks []string
	for _, c := range cs {
		nicks = append(nicks, c.nick)
	}
	slices.Sort(nicks)
	asker := cs[(dead)%nodes] // on a survivor
	deadline = time.Now().Add(patience)
	var got []string
	for {
		got = asker.who()
		if slices.Equal(got, nicks) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room's members: %q, want %q", got, nicks)
		}
		time.Sleep(20 * time.Millisecond)
	}
	listed := time.Since(killed)

	// The survivors' clients got a presence leave for each of the dead
	// node's members (before or after its new connection's join).
	var leftBy time.Duration
	waitAll("presence leaves of the dead node's members", func(c *chatClient) bool {
		if onDead(c) {
			return true
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, o := range cs {
			if !onDead(o) {
				continue
			}
			at, ok := c.left[o.nick]
			if !ok {
				return false
			}
			leftBy = max(leftBy, at.Sub(killed))
		}
		return true
	})

	// Every client heard every acknowledged line once, at its position, each
	// sender's in the order of its keys; nothing else.
	dropped, dups := 0, 0
	for _, c := range cs {
		c.mu.Lock()
		if len(c.errs) > 0 {
			t.Errorf("client %s: %q", c.nick, c.errs)
		}
		dropped += c.dropped
		dups += c.dups
		seen := map[string]int{}
		lastKey := map[string]int{} // sender -> key of its last line heard
		for _, h := range c.got {
			seen[h.text]++
			pos, ok := want[h.text]
			if !ok {
				t.Errorf("client %s heard %q, never acknowledged", c.nick, h.text)
				continue
			}
			if pos != h.pos {
				t.Errorf("client %s heard %q at %v, acknowledged at %v", c.nick, h.text, h.pos, pos)
			}
			var k int
			fmt.Sscanf(h.text[strings.LastIndexByte(h.text, ' ')+1:], "%d", &k)
			if !strings.HasPrefix(h.text, h.from+" line ") {
				t.Errorf("client %s heard %q from %s", c.nick, h.text, h.from)
			}
			if k <= lastKey[h.from] {
				t.Errorf("client %s heard %s's line %d after its line %d", c.nick, h.from, k, lastKey[h.from])
			}
			lastKey[h.from] = k
		}
		for text := range want {
			if seen[text] != 1 {
				t.Errorf("client %s heard %q %d times", c.nick, text, seen[text])
			}
		}
		c.mu.Unlock()
	}
	// Each sender's positions follow its keys.
	for _, c := range cs {
		c.mu.Lock()
		for k := 2; k <= c.lines; k++ {
			if a, b := c.acks[k-1], c.acks[k]; a.Epoch != b.Epoch || a.Seq >= b.Seq {
				t.Errorf("client %s: line %d at %v, line %d at %v", c.nick, k-1, a, k, b)
			}
		}
		c.mu.Unlock()
	}
	t.Logf("after the kill: the dead node's clients back in the room within %v (%d hellos answered taken meanwhile); "+
		"every line acknowledged within %v, heard by all within %v; member list right within %v; presence leaves within %v; "+
		"%d resends acknowledged as duplicates, %d lines replayed twice and dropped",
		back.Round(time.Millisecond), taken, acked.Round(time.Millisecond), heardAll.Round(time.Millisecond),
		listed.Round(time.Millisecond), leftBy.Round(time.Millisecond), dups, dropped)
}
