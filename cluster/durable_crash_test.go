package cluster_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
	"github.com/shoalrt/shoal/codec"
)

// The tests of this file run nodes (or NATS servers) in child processes
// and kill one with SIGKILL mid-traffic, while clients on real sockets
// publish with idempotency keys and recover from their last positions:
// every client must end with every acknowledged publication of its room
// exactly once, in each sender's order.

// durableSettings are the group settings of every durable node.
var durableSettings = actor.GroupSettings{Pattern: "room:*", History: 100_000, MaxReplay: 100_000, Presence: true, DedupWindow: 10 * time.Minute}

// roomMember is the actor of a client connection on a durable node. Its
// line protocol:
//
//	client: join ROOM EPOCH:SEQ   -> JoinSince (0:0: everything held)
//	client: pub ROOM KEY TEXT     -> PublishAck; answered "ack KEY POS" or "nak KEY ERROR"
//	client: nick NAME             -> RegisterName; "named NAME" or "taken NAME ERROR"
//	client: who ROOM              -> Members; "members ROOM ID=NICK,ID=NICK..."
//	node:   msg ROOM POS TEXT     each publication of the room
//	node:   rec ROOM POS          the seam of a recovery; "gap ROOM ERROR" if history
//	                              cannot recover, "retry ROOM ERROR" if the store could not answer
type roomMember struct {
	pending map[actor.RequestID]func(actor.Response) // what to write for each answer
	nick    string
}

// ask records what to write when request id is answered.
func (m *roomMember) ask(id actor.RequestID, answer func(actor.Response)) {
	if m.pending == nil {
		m.pending = make(map[actor.RequestID]func(actor.Response))
	}
	m.pending[id] = answer
}

func (m *roomMember) Receive(c *actor.Context) {
	switch msg := c.Message().(type) {
	case string: // a publication of the room
		if p, ok := c.Publication(); ok {
			c.Write(fmt.Sprintf("msg %s %v %s", p.Group, p.Position, msg))
		}
	case []byte: // a line from the client
		f := strings.SplitN(string(msg), " ", 4)
		switch {
		case len(f) == 3 && f[0] == "join":
			pos, err := actor.ParsePosition(f[2])
			if err == nil {
				err = c.JoinWith(f[1], actor.JoinOptions{Recover: true, Since: pos, Info: m.nick})
			}
			if err != nil {
				c.Write("gap " + f[1] + " " + err.Error())
			}
		case len(f) == 4 && f[0] == "pub":
			key := f[2]
			id, err := c.PublishAck(f[1], key, f[3])
			if err != nil {
				c.Write("nak " + key + " " + err.Error())
				return
			}
			m.ask(id, func(r actor.Response) {
				if r.Err != nil {
					c.Write("nak " + key + " " + r.Err.Error())
					return
				}
				c.Write(fmt.Sprintf("ack %s %v", key, r.Msg.(actor.Published).Position))
			})
		case len(f) == 2 && f[0] == "nick":
			name := f[1]
			id, err := c.RegisterName(name)
			if err != nil {
				c.Write("taken " + name + " " + err.Error())
				return
			}
			m.ask(id, func(r actor.Response) {
				if r.Err != nil {
					c.Write("taken " + name + " " + r.Err.Error())
					return
				}
				m.nick = name
				c.Write("named " + name)
			})
		case len(f) == 2 && f[0] == "who":
			id, err := c.Members(f[1])
			if err != nil {
				c.Write("error: " + err.Error())
				return
			}
			m.ask(id, func(r actor.Response) {
				if r.Err != nil {
					c.Write("error: " + r.Err.Error())
					return
				}
				var ms []string
				for _, mem := range r.Msg.(actor.Members).Members {
					ms = append(ms, mem.ID.String()+"="+mem.Info)
				}
				c.Write("members " + f[1] + " " + strings.Join(ms, ","))
			})
		default:
			c.Write("error: " + string(msg))
		}
	case actor.Response:
		if answer := m.pending[msg.ID]; answer != nil {
			delete(m.pending, msg.ID)
			answer(msg)
		}
	case actor.Recovered:
		switch {
		case errors.Is(msg.Err, actor.ErrHistoryLost), errors.Is(msg.Err, actor.ErrOtherEpoch),
			errors.Is(msg.Err, actor.ErrFuturePosition), errors.Is(msg.Err, actor.ErrTooFarBehind):
			c.Write("gap " + msg.Group + " " + msg.Err.Error())
			return
		case msg.Err != nil: // the store could not answer now (a NATS server died, a leader is being elected)
			c.Write("retry " + msg.Group + " " + msg.Err.Error())
			return
		}
		c.Write(fmt.Sprintf("rec %s %v", msg.Group, msg.Last))
	}
}

// TestHelperDurableNode is the child process of the tests below, not a
// test: a node with group settings, listening for room clients on
// $SHOAL_LISTEN, with its own embedded NATS server ($SHOAL_NATS_LISTEN,
// routed to $SHOAL_ROUTES from $SHOAL_NATS_CLUSTER, JetStream in
// $SHOAL_DATA), or connected to the NATS servers at $SHOAL_NATS_URL. It
// prints "ready" once it serves, and runs until killed or its standard
// input closes.
func TestHelperDurableNode(t *testing.T) {
	if os.Getenv("SHOAL_DURABLE_CHILD") != "1" {
		t.Skip("the child process of the tests that kill a durable node")
	}
	node, err := strconv.Atoi(os.Getenv("SHOAL_NODE"))
	require.NoError(t, err)
	cfg := cluster.Config{Name: "durable", Messages: []any{}, Replicas: 3, Heartbeat: 200 * time.Millisecond,
		OnError: func(err error) { fmt.Fprintln(os.Stderr, "node", node, "error:", err) }}
	if url := os.Getenv("SHOAL_NATS_URL"); url != "" {
		cfg.URL = url
	} else {
		cfg.Server = &natsserver.Server{
			Listen: os.Getenv("SHOAL_NATS_LISTEN"), Name: fmt.Sprint("nats-", node), DataDir: os.Getenv("SHOAL_DATA"),
			Cluster: os.Getenv("SHOAL_NATS_CLUSTER"), Routes: strings.Split(os.Getenv("SHOAL_ROUTES"), ","),
		}
	}
	n, err := cluster.New(cfg)
	require.NoError(t, err)
	sys, err := actor.NewSystem(actor.Node(node), actor.Cluster(n), actor.Shards(2), actor.Groups(durableSettings))
	require.NoError(t, err)
	_, err = sys.Listen(os.Getenv("SHOAL_LISTEN"), codec.Bytes(codec.Line()), func() actor.Actor { return &roomMember{} })
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// TestHelperNATSServer is a child process too: a NATS server of a cluster
// of three with JetStream, for the test that kills one.
func TestHelperNATSServer(t *testing.T) {
	if os.Getenv("SHOAL_NATS_CHILD") != "1" {
		t.Skip("the child process of the test that kills a NATS server")
	}
	s := &natsserver.Server{Listen: os.Getenv("SHOAL_NATS_LISTEN"), Name: os.Getenv("SHOAL_NATS_NAME"), DataDir: os.Getenv("SHOAL_DATA"),
		Cluster: os.Getenv("SHOAL_NATS_CLUSTER"), Routes: strings.Split(os.Getenv("SHOAL_ROUTES"), ",")}
	_, err := s.Start()
	require.NoError(t, err)
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// process is a child process of these tests.
type process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	ready chan error
}

// spawnChild runs the test binary's helper test named run with env, and
// returns at once; ready gets nil once the child printed "ready".
func spawnChild(t *testing.T, run string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+run+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, stdin: stdin, ready: make(chan error, 1)}
	t.Cleanup(p.kill)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if lines.Text() == "ready" {
				p.ready <- nil
				io.Copy(io.Discard, stdout)
				return
			}
		}
		p.ready <- fmt.Errorf("%s exited before it was ready: %v", run, lines.Err())
	}()
	return p
}

func (p *process) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill() // SIGKILL: no goodbye, nothing flushed
	p.cmd.Wait()
	p.stdin.Close()
}

// dialWho connects to a durable node at addr and returns a function that
// asks for a room's members ("ID=NICK" each).
func dialWho(t *testing.T, addr string) func(room string) []string {
	conn, err := net.DialTimeout("tcp", addr, waitFor)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewScanner(conn)
	return func(room string) []string {
		_, err := fmt.Fprintf(conn, "who %s\n", room)
		require.NoError(t, err)
		conn.SetReadDeadline(time.Now().Add(waitFor))
		for r.Scan() {
			if rest, ok := strings.CutPrefix(r.Text(), "members "+room); ok {
				rest = strings.TrimSpace(rest)
				if rest == "" {
					return nil
				}
				return strings.Split(rest, ",")
			}
			if strings.HasPrefix(r.Text(), "error: ") { // the store could not answer now
				return nil
			}
		}
		t.Fatalf("who %s: %v", room, r.Err())
		return nil
	}
}

// freeAddrs returns n loopback addresses with ports free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	var addrs []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return addrs
}

// roomClient is one client of the durable nodes: it joins a room from its
// last position, publishes (if a sender) its lines one at a time with
// idempotency keys, and when its connection dies reconnects to another
// node, recovers from its last position and resends what was not
// acknowledged.
type roomClient struct {
	id    int
	room  string
	sends int      // lines to publish
	addrs []string // the nodes, its own first

	mu      sync.Mutex
	last    actor.Position
	got     []string        // texts received, in order
	seen    map[string]int  // text -> times received
	acked   map[string]bool // its own acknowledged texts
	errs    []string
	retries int       // recoveries the store could not answer at once
	named   time.Time // when its nickname was last registered
	members string    // the last "members" line it got
	trace   []string  // the last lines it exchanged, for a failure's report
}

// note keeps line in the client's trace. c.mu held.
func (c *roomClient) note(line string) {
	if len(c.trace) == 12 {
		c.trace = append(c.trace[:0], c.trace[1:]...)
	}
	c.trace = append(c.trace, time.Now().Format("15:04:05.000 ")+line)
}

func (c *roomClient) run(ctx context.Context, done *sync.WaitGroup) {
	defer done.Done()
	next := 0 // the next of its lines to publish
	for try := 0; ctx.Err() == nil; try++ {
		conn, err := net.DialTimeout("tcp", c.addrs[try%len(c.addrs)], time.Second)
		c.mu.Lock()
		c.note(fmt.Sprintf("dial %s: %v", c.addrs[try%len(c.addrs)], err))
		c.mu.Unlock()
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		next = c.session(ctx, conn, next)
		conn.Close()
	}
}

// session runs one connection until it dies or ctx ends; it returns the
// next line to publish.
func (c *roomClient) session(ctx context.Context, conn net.Conn, next int) int {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	w := bufio.NewWriter(conn)
	nick := fmt.Sprint("c", c.id)
	fmt.Fprintf(w, "nick %s\n", nick) // its nickname first (the old holder may be a dead node's actor), then the room
	publish := func() {
		if next < c.sends {
			text := fmt.Sprintf("c%d-%d", c.id, next)
			fmt.Fprintf(w, "pub %s %s %s\n", c.room, text, text)
		}
	}
	live := false
	r := bufio.NewScanner(conn)
	w.Flush()
	for r.Scan() {
		f := strings.SplitN(r.Text(), " ", 4)
		c.mu.Lock()
		c.note("< " + r.Text())
		c.mu.Unlock()
		switch f[0] {
		case "msg":
			c.mu.Lock()
			pos, err := actor.ParsePosition(f[2])
			if err != nil || pos.Seq <= c.last.Seq {
				c.errs = append(c.errs, "out of order or bad: "+r.Text()+" after "+c.last.String())
			}
			c.last = pos
			c.got = append(c.got, f[3])
			if c.seen == nil {
				c.seen = make(map[string]int)
			}
			c.seen[f[3]]++
			c.mu.Unlock()
		case "rec":
			if !live { // the seam: start (or resume) publishing
				live = true
				publish()
			}
		case "ack":
			c.mu.Lock()
			if c.acked == nil {
				c.acked = make(map[string]bool)
			}
			c.acked[f[1]] = true
			c.mu.Unlock()
			if f[1] == fmt.Sprintf("c%d-%d", c.id, next) {
				next++
				time.Sleep(15 * time.Millisecond) // paced, so the kill lands mid-traffic
				publish()
			}
		case "nak":
			time.Sleep(100 * time.Millisecond) // the store is busy or electing: resend
			publish()
		case "named":
			c.mu.Lock()
			c.named = time.Now()
			c.note("named")
			fmt.Fprintf(w, "join %s %v\n", c.room, c.last)
			c.mu.Unlock()
		case "taken": // held by its actor on a node that died, until the others notice
			time.Sleep(100 * time.Millisecond)
			fmt.Fprintf(w, "nick %s\n", nick)
		case "members":
			c.mu.Lock()
			c.members = r.Text()
			c.mu.Unlock()
		case "retry": // not a member: ask again in a moment, from the same position
			time.Sleep(200 * time.Millisecond)
			c.mu.Lock()
			fmt.Fprintf(w, "join %s %v\n", c.room, c.last)
			c.retries++
			c.mu.Unlock()
		case "gap":
			c.mu.Lock()
			c.errs = append(c.errs, r.Text())
			c.mu.Unlock()
			return next
		default:
			c.mu.Lock()
			c.errs = append(c.errs, "unexpected: "+r.Text())
			c.mu.Unlock()
		}
		w.Flush()
	}
	return next
}

// durableRun drives clients over the rooms of durable nodes at addrs, calls
// crash once traffic is under way, and checks what every client ended
// with.
func durableRun(t *testing.T, addrs []string, dead int, survivor string, crash func()) {
	const clients, rooms, senders, lines = 300, 10, 60, 40
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var done sync.WaitGroup
	cs := make([]*roomClient, clients)
	for i := range cs {
		own := i % len(addrs)
		order := append(append([]string{}, addrs[own:]...), addrs[:own]...)
		cs[i] = &roomClient{id: i, room: fmt.Sprint("room:", i%rooms), addrs: order}
		if i < senders {
			cs[i].sends = lines
		}
		done.Add(1)
		go cs[i].run(ctx, &done)
	}
	time.Sleep(300 * time.Millisecond) // lines flow
	ackedBy := func() (n int) {
		for _, c := range cs[:senders] {
			c.mu.Lock()
			n += len(c.acked)
			c.mu.Unlock()
		}
		return n
	}
	atCrash := ackedBy()
	crash()
	crashed := time.Now()
	defer func() {
		retries := 0
		for _, c := range cs {
			c.mu.Lock()
			retries += c.retries
			c.mu.Unlock()
		}
		t.Logf("%d of %d lines acknowledged at the crash; all %d acknowledged and delivered %v after it; %d recoveries asked again",
			atCrash, senders*lines, senders*lines, time.Since(crashed).Round(time.Millisecond), retries)
	}()
	// Every sender ends with all its lines acknowledged.
	deadline := time.Now().Add(90 * time.Second)
	for _, c := range cs[:senders] {
		for {
			c.mu.Lock()
			n := len(c.acked)
			c.mu.Unlock()
			if n == lines {
				break
			}
			if time.Now().After(deadline) {
				c.mu.Lock()
				t.Fatalf("client %d: %d of %d lines acknowledged; its last lines:\n%s", c.id, n, lines, strings.Join(c.trace, "\n"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Every client ends with every acknowledged line of its room, once.
	want := make(map[string][]string) // room -> acknowledged texts
	for _, c := range cs[:senders] {
		for k := range lines {
			want[c.room] = append(want[c.room], fmt.Sprintf("c%d-%d", c.id, k))
		}
	}
	for _, c := range cs {
		for {
			c.mu.Lock()
			missing := 0
			for _, text := range want[c.room] {
				if c.seen[text] == 0 {
					missing++
				}
			}
			c.mu.Unlock()
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				c.mu.Lock()
				t.Fatalf("client %d (%s): %d acknowledged lines missing; its last lines:\n%s", c.id, c.room, missing, strings.Join(c.trace, "\n"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Every client ends with its nickname (those of the dead node's clients
	// were released at its NodeDown) and in its room's member list; nobody
	// of a dead node is left in one.
	for _, c := range cs {
		for {
			c.mu.Lock()
			named := !c.named.IsZero()
			c.mu.Unlock()
			if named {
				break
			}
			require.True(t, time.Now().Before(deadline), "client %d never got its nickname", c.id)
			time.Sleep(20 * time.Millisecond)
		}
	}
	who := dialWho(t, survivor)
	for room := range rooms {
		for {
			ms := who(fmt.Sprint("room:", room))
			ghosts, nicks := 0, map[string]bool{}
			for _, m := range ms {
				id, nick, _ := strings.Cut(m, "=")
				pid, err := actor.ParseID(id)
				require.NoError(t, err)
				if pid.Node() == dead {
					ghosts++
				}
				nicks[nick] = true
			}
			if ghosts == 0 && len(ms) == clients/rooms && len(nicks) == clients/rooms {
				break
			}
			require.True(t, time.Now().Before(deadline), "room:%d: %d members (%d of dead node %d), want %d: %v", room, len(ms), ghosts, dead, clients/rooms, ms)
			time.Sleep(50 * time.Millisecond)
		}
	}
	presenceClean := time.Since(crashed)
	var renamed time.Duration // the last nickname registered again by a client of the dead node
	for _, c := range cs {
		if dead != 0 && c.addrs[0] == addrs[dead-1] {
			renamed = max(renamed, c.named.Sub(crashed))
		}
	}
	t.Logf("after the crash: every room's member list right within %v, every nickname of the dead node's clients registered again within %v",
		presenceClean.Round(time.Millisecond), renamed.Round(time.Millisecond))
	cancel()
	done.Wait()
	for _, c := range cs {
		require.Empty(t, c.errs, "client %d", c.id)
		for text, n := range c.seen {
			require.Equal(t, 1, n, "client %d got %s %d times", c.id, text, n)
		}
		order := make(map[int]int) // sender -> last line number seen
		for _, text := range c.got {
			var s, k int
			_, err := fmt.Sscanf(text, "c%d-%d", &s, &k)
			require.NoError(t, err)
			if prev, ok := order[s]; ok {
				require.Greater(t, k, prev, "client %d: sender %d's lines out of order", c.id, s)
			}
			order[s] = k
		}
	}
}

// TestKilledNodeLosesNothingAcknowledged: three nodes, each with its own
// embedded NATS server, the servers routed into one NATS cluster with
// JetStream (replicas 3); node 3 is killed with SIGKILL mid-traffic.
func TestKilledNodeLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process, tens of seconds")
	}
	natsAddrs, routeAddrs, listen := freeAddrs(t, 3), freeAddrs(t, 3), freeAddrs(t, 3)
	var routes []string
	for _, a := range routeAddrs {
		routes = append(routes, "nats-route://"+a)
	}
	var nodes []*process
	for i := range 3 {
		nodes = append(nodes, spawnChild(t, "TestHelperDurableNode", "SHOAL_DURABLE_CHILD=1",
			"SHOAL_NODE="+strconv.Itoa(i+1), "SHOAL_LISTEN="+listen[i], "SHOAL_NATS_LISTEN="+natsAddrs[i],
			"SHOAL_NATS_CLUSTER="+routeAddrs[i], "SHOAL_ROUTES="+strings.Join(routes, ","), "SHOAL_DATA="+t.TempDir()))
	}
	for _, p := range nodes {
		select {
		case err := <-p.ready:
			require.NoError(t, err)
		case <-time.After(60 * time.Second):
			t.Fatal("a node never got ready")
		}
	}
	durableRun(t, listen, 3, listen[0], func() { nodes[2].kill() })
}

// TestKilledNATSServerLosesNothingAcknowledged: three nodes in this
// process connected to a NATS cluster of three servers in child processes
// (JetStream, replicas 3); one server is killed with SIGKILL mid-traffic.
func TestKilledNATSServerLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process, tens of seconds")
	}
	natsAddrs, routeAddrs, listen := freeAddrs(t, 3), freeAddrs(t, 3), freeAddrs(t, 3)
	var routes, urls []string
	for i := range 3 {
		routes = append(routes, "nats-route://"+routeAddrs[i])
		urls = append(urls, "nats://"+natsAddrs[i])
	}
	var servers []*process
	for i := range 3 {
		servers = append(servers, spawnChild(t, "TestHelperNATSServer", "SHOAL_NATS_CHILD=1",
			"SHOAL_NATS_NAME=ext-"+strconv.Itoa(i), "SHOAL_NATS_LISTEN="+natsAddrs[i],
			"SHOAL_NATS_CLUSTER="+routeAddrs[i], "SHOAL_ROUTES="+strings.Join(routes, ","), "SHOAL_DATA="+t.TempDir()))
	}
	for _, p := range servers {
		require.NoError(t, <-p.ready)
	}
	var systems []*actor.System
	var startErr sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		// Node i+1 connects to server i first (the list is rotated).
		order := append(append([]string{}, urls[i:]...), urls[:i]...)
		n, err := cluster.New(cluster.Config{Name: "durable", URL: strings.Join(order, ","), Replicas: 3,
			Heartbeat: 200 * time.Millisecond, OnError: func(err error) { t.Log("node", i+1, err) }})
		require.NoError(t, err)
		sys, err := actor.NewSystem(actor.Node(i+1), actor.Cluster(n), actor.Shards(2), actor.Groups(durableSettings))
		require.NoError(t, err)
		_, err = sys.Listen(listen[i], codec.Bytes(codec.Line()), func() actor.Actor { return &roomMember{} })
		require.NoError(t, err)
		systems = append(systems, sys)
		startErr.Add(1)
		go func() { defer startErr.Done(); errs[i] = sys.Start() }()
	}
	startErr.Wait()
	require.NoError(t, errors.Join(errs...))
	defer func() {
		for _, sys := range systems {
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			sys.Stop(ctx)
			cancel()
		}
	}()
	durableRun(t, listen, 0, listen[0], func() { servers[1].kill() })
}
