package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
	"github.com/shoalrt/shoal/codec"
)

const waitFor = 20 * time.Second

// Chat is a message that crosses nodes.
type Chat struct {
	From string
	Text string
}

// Count asks an actor for its count.
type Count struct{}

// pair starts two systems of one cluster: node 1 runs the embedded NATS
// server, node 2 connects to it. Both are stopped at the end of the test,
// node 2 first.
func pair(t *testing.T, opts ...actor.Option) (sys1, sys2 *actor.System, n1, n2 *cluster.Node) {
	t.Helper()
	var err error
	cfg := cluster.Config{Name: "test", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Chat{}, &Count{}}, Heartbeat: 100 * time.Millisecond,
		OnError: func(err error) { t.Log(err) }}
	n1, err = cluster.New(cfg)
	require.NoError(t, err)
	sys1, err = actor.NewSystem(append([]actor.Option{actor.Node(1), actor.Shards(2), actor.Cluster(n1)}, opts...)...)
	require.NoError(t, err)
	require.NoError(t, sys1.Start())
	t.Cleanup(func() { stop(t, sys1) })

	cfg.Server, cfg.URL = nil, n1.ClientURL()
	require.NotEmpty(t, cfg.URL)
	n2, err = cluster.New(cfg)
	require.NoError(t, err)
	sys2, err = actor.NewSystem(append([]actor.Option{actor.Node(2), actor.Shards(2), actor.Cluster(n2)}, opts...)...)
	require.NoError(t, err)
	require.NoError(t, sys2.Start())
	t.Cleanup(func() { stop(t, sys2) })

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.WaitNodes(ctx, 2))
	require.NoError(t, n2.WaitNodes(ctx, 1))
	return sys1, sys2, n1, n2
}

func stop(t *testing.T, sys *actor.System) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := sys.Stop(ctx); err != nil && !errors.Is(err, actor.ErrStopped) {
		t.Errorf("stop: %v", err)
	}
}

func spawn(t *testing.T, sys *actor.System, f func(ctx *actor.Context)) actor.ID {
	t.Helper()
	id, err := sys.Spawn(func() actor.Actor { return actor.ReceiveFunc(f) })
	require.NoError(t, err)
	return id
}

func TestSendRequestAndAskAcrossNodes(t *testing.T) {
	sys1, sys2, _, _ := pair(t)
	got := make(chan any, 16)
	n := 0
	counter := spawn(t, sys2, func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case Chat:
			n++
			got <- m
			got <- ctx.Sender()
		case *Count:
			ctx.Respond(Chat{Text: "count", From: string(rune('0' + n))})
		}
	})
	require.Equal(t, 2, counter.Node())
	replies := make(chan actor.Response, 4)
	errs := make(chan error, 2) // the actor reports here: no require on a shard
	asker := spawn(t, sys1, func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case string:
			errs <- ctx.Send(counter, Chat{From: "a", Text: m})
			_, err := ctx.Request(counter, &Count{}, waitFor)
			errs <- err
		case actor.Response:
			replies <- m
		}
	})
	require.NoError(t, sys1.Send(asker, "hello"))
	require.NoError(t, <-errs, "Send")
	require.NoError(t, <-errs, "Request")
	require.Equal(t, Chat{From: "a", Text: "hello"}, <-got)
	require.Equal(t, asker, <-got, "the sender's ID crosses")
	r := <-replies
	require.NoError(t, r.Err)
	require.Equal(t, Chat{Text: "count", From: "1"}, r.Msg)

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	v, err := sys1.Ask(ctx, counter, &Count{})
	require.NoError(t, err)
	require.Equal(t, Chat{Text: "count", From: "1"}, v)
}

func TestGroupsSpanNodes(t *testing.T) {
	sys1, sys2, _, _ := pair(t)
	got := make(chan string, 64)
	member := func(name string) func(ctx *actor.Context) {
		return func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				ctx.Join("room.1 with spaces") // a name subjects cannot hold as is
				ctx.Join("")                   // nor an empty one
			case Chat:
				got <- name + ":" + m.Text
			case string: // leave
				ctx.Leave("room.1 with spaces")
				got <- name + " left"
			}
		}
	}
	spawn(t, sys1, member("a"))
	b := spawn(t, sys2, member("b"))
	spawn(t, sys2, member("c"))
	// Interest travels asynchronously: publish until node 2's members hear.
	seen := map[string]bool{}
	deadline := time.After(waitFor)
	for !seen["b:hi"] || !seen["c:hi"] {
		require.NoError(t, sys1.Publish("room.1 with spaces", Chat{Text: "hi"}))
		select {
		case s := <-got:
			seen[s] = true
		case <-deadline:
			t.Fatalf("node 2's members never heard a publication from node 1: %v", seen)
		case <-time.After(20 * time.Millisecond):
		}
	}
	drain := func() {
		for {
			select {
			case <-got:
			case <-time.After(100 * time.Millisecond):
				return
			}
		}
	}
	drain()
	// From an actor on node 2: both local members and node 1's member hear it, once.
	published := make(chan error, 1) // the actor reports here: no require on a shard
	spawn(t, sys2, func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Started); ok {
			published <- ctx.Publish("room.1 with spaces", Chat{Text: "from 2"})
		}
	})
	require.NoError(t, <-published)
	expectEach(t, got, "a:from 2", "b:from 2", "c:from 2")
	require.NoError(t, sys1.Publish("", Chat{Text: "to the empty name"}))
	expectEach(t, got, "a:to the empty name", "b:to the empty name", "c:to the empty name")
	require.NoError(t, sys2.Send(b, "leave"))
	require.Equal(t, "b left", <-got)
	require.NoError(t, sys1.Publish("room.1 with spaces", Chat{Text: "after"}))
	expectEach(t, got, "a:after", "c:after")
	select {
	case s := <-got:
		require.True(t, strings.HasSuffix(s, ":hi"), "extra delivery %q", s)
	case <-time.After(100 * time.Millisecond):
	}
}

// expectEach takes deliveries from got until it had each of want once, in
// any order; late copies of the publications that probed for interest
// ("...:hi") are skipped.
func expectEach(t *testing.T, got chan string, want ...string) {
	t.Helper()
	left := map[string]bool{}
	for _, w := range want {
		left[w] = true
	}
	for len(left) > 0 {
		select {
		case s := <-got:
			if strings.HasSuffix(s, ":hi") {
				continue
			}
			require.True(t, left[s], "unexpected or duplicate %q", s)
			delete(left, s)
		case <-time.After(waitFor):
			t.Fatalf("missing %v", left)
		}
	}
}

func TestErrorsAcrossNodes(t *testing.T) {
	dead := make(chan actor.DeadLetter, 4)
	sys1, sys2, n1, _ := pair(t, actor.OnDeadLetter(func(d actor.DeadLetter) {
		if _, ok := d.Message.(*Count); !ok { // the asks below are dead letters too, answered with ErrNoActor
			dead <- d
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()

	gone := spawn(t, sys2, func(ctx *actor.Context) {
		if ctx.Message() == "stop" {
			ctx.Stop()
		}
	})
	require.NoError(t, sys2.Send(gone, "stop"))
	// A stale ID on another node: the request comes back with ErrNoActor,
	// and a plain message is a dead letter there.
	require.Eventually(t, func() bool {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := sys1.Ask(c, gone, &Count{})
		return errors.Is(err, actor.ErrNoActor)
	}, waitFor, 10*time.Millisecond)
	require.NoError(t, sys1.Send(gone, Chat{Text: "late"}))
	select {
	case d := <-dead:
		require.Equal(t, gone, d.To)
		require.Equal(t, Chat{Text: "late"}, d.Message)
	case <-time.After(waitFor):
		t.Fatal("no dead letter on node 2")
	}

	type unregistered struct{ X int }
	err := sys1.Send(gone, unregistered{})
	require.ErrorIs(t, err, codec.ErrUnsupportedType, "a type the cluster cannot encode is refused at once")

	nowhere, err := actor.ParseID("7:0:1:1")
	require.NoError(t, err)
	err = sys1.Send(nowhere, Chat{})
	require.ErrorIs(t, err, cluster.ErrNoNode)
	_, err = sys1.Ask(ctx, nowhere, &Count{})
	require.ErrorIs(t, err, cluster.ErrNoNode)
	require.Zero(t, n1.Stats().Malformed)
}

func TestNodeNumberTaken(t *testing.T) {
	_, _, n1, _ := pair(t)
	n3, err := cluster.New(cluster.Config{Name: "test", URL: n1.ClientURL()})
	require.NoError(t, err)
	sys3, err := actor.NewSystem(actor.Node(2), actor.Cluster(n3))
	require.NoError(t, err)
	err = sys3.Start()
	require.ErrorIs(t, err, cluster.ErrNodeTaken)
	local, err := actor.ParseID("2:0:1:1")
	require.NoError(t, err)
	require.ErrorIs(t, sys3.Send(local, "x"), actor.ErrStopped, "a system that could not join is not left running")
}

// New refuses each invalid config with ErrBadConfig, saying what is wrong;
// every case but "neither" has a URL, so it fails for its own reason.
func TestBadConfig(t *testing.T) {
	const url = "nats://127.0.0.1:4222" // New connects nothing: no server needed
	for _, tc := range []struct {
		name string
		cfg  cluster.Config
		says string
	}{
		{"dot in name", cluster.Config{URL: url, Name: "a.b"}, `cluster name "a.b"`},
		{"space in name", cluster.Config{URL: url, Name: "x y"}, `cluster name "x y"`},
		{"negative heartbeat", cluster.Config{URL: url, Heartbeat: -time.Second}, "negative heartbeat"},
		{"URL and Server", cluster.Config{URL: url, Server: &natsserver.Server{}}, "both a URL and a Server"},
		{"neither", cluster.Config{}, "no URL and no Server"},
		{"a message twice", cluster.Config{URL: url, Messages: []any{Chat{}, Chat{}}}, "cluster_test.Chat"},
	} {
		_, err := cluster.New(tc.cfg)
		require.ErrorIs(t, err, cluster.ErrBadConfig, tc.name)
		require.ErrorContains(t, err, tc.says, tc.name)
	}
	_, err := cluster.New(cluster.Config{URL: url, Messages: []any{Chat{}}})
	require.NoError(t, err, "the same with a URL and no fault")
}

// A broadcast from one node is written to the connections of the group's
// members on another, encoded there by their listener's codec; stopping both
// nodes leaves no descriptor behind.
func TestBroadcastToConnectionsOnAnotherNode(t *testing.T) {
	fds := countFDs(t)
	func() {
		sys1, sys2, _, _ := pair(t)
		joined := make(chan struct{}, 1)
		l, err := sys2.Listen("tcp://127.0.0.1:0", codec.JSON(codec.Line(), Chat{}), func() actor.Actor {
			return actor.ReceiveFunc(func(ctx *actor.Context) {
				if m, ok := ctx.Message().(Chat); ok && m.Text == "join" {
					ctx.Join("lobby")
					joined <- struct{}{}
				}
			})
		})
		require.NoError(t, err)
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte(`{"type":"Chat","data":{"From":"me","Text":"join"}}` + "\n"))
		require.NoError(t, err)
		<-joined
		r := bufio.NewReader(c)
		lines := make(chan string, 1)
		go func() {
			line, _ := r.ReadString('\n')
			lines <- line
		}()
		deadline := time.After(waitFor)
		for {
			require.NoError(t, sys1.Broadcast("lobby", Chat{From: "node 1", Text: "hello"}))
			select {
			case line := <-lines:
				require.JSONEq(t, `{"type":"Chat","data":{"From":"node 1","Text":"hello"}}`, line)
				c.Close()
				stop(t, sys2)
				stop(t, sys1)
				return
			case <-time.After(20 * time.Millisecond): // node 2's interest may not have reached the server yet
			case <-deadline:
				t.Fatal("the broadcast never reached the connection on node 2")
			}
		}
	}()
	require.Eventually(t, func() bool { return countFDs(t) <= fds }, waitFor, 10*time.Millisecond, "descriptors left open")
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

// A node that stops says goodbye: the others refuse sends to it at once.
// The node that ran the embedded server may stop first; the others still
// stop cleanly.
func TestNodesLeave(t *testing.T) {
	sys1, sys2, n1, _ := pair(t)
	on2 := spawn(t, sys2, func(*actor.Context) {})
	require.NoError(t, sys1.Send(on2, Chat{}))
	stop(t, sys2)
	require.Eventually(t, func() bool { return errors.Is(sys1.Send(on2, Chat{}), cluster.ErrNoNode) }, waitFor, time.Millisecond)
	require.Empty(t, n1.Nodes())

	sys3, n3 := join(t, n1, 3)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.WaitNodes(ctx, 3))
	require.NoError(t, n3.WaitNodes(ctx, 1))
	require.Equal(t, []int{1}, n3.Nodes())
	stop(t, sys1) // the server goes
	stop(t, sys3)
}

// join starts another node of the cluster n1 serves.
func join(t *testing.T, n1 *cluster.Node, node int) (*actor.System, *cluster.Node) {
	t.Helper()
	n, err := cluster.New(cluster.Config{Name: "test", URL: n1.ClientURL(), Messages: []any{Chat{}, &Count{}}, Heartbeat: 100 * time.Millisecond})
	require.NoError(t, err)
	sys, err := actor.NewSystem(actor.Node(node), actor.Cluster(n))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	t.Cleanup(func() { stop(t, sys) })
	return sys, n
}

// A node alone publishes nothing to NATS (nobody else can have members),
// but refuses what it could not send to other nodes either.
func TestLoneNodeKeepsPublicationsLocal(t *testing.T) {
	n, err := cluster.New(cluster.Config{Name: "alone", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Chat{}}})
	require.NoError(t, err)
	sys, err := actor.NewSystem(actor.Node(1), actor.Cluster(n))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	defer stop(t, sys)
	got := make(chan any, 1)
	published := make(chan error, 1)
	spawn(t, sys, func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case actor.Started:
			ctx.Join("g")
			published <- ctx.Publish("g", Chat{Text: "local"})
		case Chat:
			got <- m
		}
	})
	require.NoError(t, <-published)
	require.Equal(t, Chat{Text: "local"}, <-got)
	require.Zero(t, n.Stats().Sent)
	type unregistered struct{}
	require.ErrorIs(t, sys.Publish("g", unregistered{}), codec.ErrUnsupportedType)
}

// Many sends at once go out in batches and arrive once each, in the order
// each sender sent them, whether from an actor (its shard) or from outside;
// large messages pass batches' size limit; one too large for NATS is
// refused.
func TestBatchesKeepOrder(t *testing.T) {
	sys1, sys2, n1, _ := pair(t)
	const n = 5000
	text := string(bytes.Repeat([]byte("x"), 200)) // 5 000 x 200 B: batches fill and go at once
	type line struct {
		from string
		seq  int
	}
	lines := make(chan line, 2*n)
	errs := make(chan error, 2) // the actors report here: no require on a shard
	sink := spawn(t, sys2, func(ctx *actor.Context) {
		if m, ok := ctx.Message().(Chat); ok {
			seq, err := strconv.Atoi(m.Text[len(text):])
			if err != nil {
				seq = -1 // fails the order check below
			}
			lines <- line{m.From, seq}
		}
	})
	src := spawn(t, sys1, func(ctx *actor.Context) {
		if ctx.Message() == "go" {
			for i := range n {
				if err := ctx.Send(sink, Chat{From: "actor", Text: text + strconv.Itoa(i)}); err != nil {
					errs <- err
					return
				}
			}
		}
	})
	require.NoError(t, sys1.Send(src, "go"))
	go func() {
		for i := range n {
			if err := sys1.Send(sink, Chat{From: "outside", Text: text + strconv.Itoa(i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	next := map[string]int{}
	for range 2 * n {
		select {
		case l := <-lines:
			require.Equal(t, next[l.from], l.seq, "from %s", l.from)
			next[l.from]++
		case err := <-errs:
			t.Fatalf("the sending actor's Send: %v", err)
		case <-time.After(waitFor):
			t.Fatalf("got %v of %d each", next, n)
		}
	}
	st := n1.Stats()
	t.Logf("%d envelopes in %d NATS messages", st.Sent, st.Batches)
	require.GreaterOrEqual(t, st.Sent, uint64(2*n))

	huge := make([]byte, 2<<20) // more than the server's default 1 MiB payload
	require.ErrorIs(t, sys1.Send(sink, huge), cluster.ErrTooLarge)
}

// With an external NATS server that goes away and comes back on the same
// address, the nodes reconnect, resubscribe, and messages flow again.
func TestNodesSurviveANATSRestart(t *testing.T) {
	srv := &natsserver.Server{Listen: "127.0.0.1:0"}
	url, err := srv.Start()
	require.NoError(t, err)
	defer srv.Shutdown()

	cfg := cluster.Config{Name: "restart", URL: url, Messages: []any{Chat{}}, Heartbeat: 50 * time.Millisecond,
		NATSOptions: []nats.Option{nats.ReconnectWait(20 * time.Millisecond)}}
	start := func(node int) (*actor.System, *cluster.Node) {
		n, err := cluster.New(cfg)
		require.NoError(t, err)
		sys, err := actor.NewSystem(actor.Node(node), actor.Cluster(n))
		require.NoError(t, err)
		require.NoError(t, sys.Start())
		t.Cleanup(func() { stop(t, sys) })
		return sys, n
	}
	sys1, n1 := start(1)
	sys2, n2 := start(2)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.WaitNodes(ctx, 2))
	got := make(chan string, 1024)
	sink := spawn(t, sys2, func(ctx *actor.Context) {
		if m, ok := ctx.Message().(Chat); ok {
			got <- m.Text
		}
	})
	require.NoError(t, sys1.Send(sink, Chat{Text: "before"}))
	require.Equal(t, "before", <-got)

	srv.Shutdown()
	srv.Listen = strings.TrimPrefix(url, "nats://") // the same port again
	_, err = srv.Start()
	require.NoError(t, err)

	// Sends fail (ErrNoNode, if node 2 was forgotten meanwhile) or wait in
	// NATS's reconnect buffer; once both are back, one gets through.
	deadline := time.After(waitFor)
	for {
		sys1.Send(sink, Chat{Text: "after"})
		select {
		case s := <-got:
			if s == "after" {
				require.NoError(t, n2.WaitNodes(ctx, 1))
				return
			}
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("no message got through after the NATS server came back")
		}
	}
}

// Probe and Numbered are TestRoomAcrossThreeNodes' messages.
type (
	Probe    struct{ From int }
	Numbered struct{ From, Seq int }
)

// A room with members on three nodes: three senders, one per node, publish
// numbered lines; every member gets every line exactly once, each sender's
// in order (publications from one node to another keep their order, and a
// node's own come back to it only locally).
func TestRoomAcrossThreeNodes(t *testing.T) {
	const perNode, lines = 20, 300
	cfg := cluster.Config{Name: "room3", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Probe{}, Numbered{}}, Heartbeat: 100 * time.Millisecond}
	var systems []*actor.System
	var nodes []*cluster.Node
	for i := 1; i <= 3; i++ {
		n, err := cluster.New(cfg)
		require.NoError(t, err)
		sys, err := actor.NewSystem(actor.Node(i), actor.Shards(2), actor.Cluster(n))
		require.NoError(t, err)
		require.NoError(t, sys.Start())
		t.Cleanup(func() { stop(t, sys) })
		if i == 1 {
			cfg.Server, cfg.URL = nil, n.ClientURL()
		}
		systems, nodes = append(systems, sys), append(nodes, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for i, n := range nodes {
		others := []int{}
		for j := 1; j <= 3; j++ {
			if j != i+1 {
				others = append(others, j)
			}
		}
		require.NoError(t, n.WaitNodes(ctx, others...))
	}

	type report struct {
		probed bool // heard a probe from every node
		err    string
		done   bool
	}
	reports := make(chan report, 3*perNode*2)
	member := func() actor.Actor {
		probes := map[int]bool{}
		next := map[int]int{}
		got := 0
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				ctx.Join("room")
			case Probe:
				if !probes[m.From] {
					probes[m.From] = true
					if len(probes) == 3 {
						reports <- report{probed: true}
					}
				}
			case Numbered:
				if m.Seq != next[m.From] {
					reports <- report{err: fmt.Sprintf("from node %d: got %d, want %d", m.From, m.Seq, next[m.From])}
					return
				}
				next[m.From]++
				if got++; got == 3*lines {
					reports <- report{done: true}
				}
			}
		})
	}
	for _, sys := range systems {
		for range perNode {
			_, err := sys.Spawn(member)
			require.NoError(t, err)
		}
	}
	// Interest reaches NATS asynchronously: probe until every member heard
	// every node.
	probed := 0
	deadline := time.After(waitFor)
	for probed < 3*perNode {
		for i, sys := range systems {
			require.NoError(t, sys.Publish("room", Probe{From: i + 1}))
		}
		for wait := time.After(20 * time.Millisecond); ; {
			select {
			case r := <-reports:
				require.True(t, r.probed, "%+v", r)
				probed++
				continue
			case <-wait:
			case <-deadline:
				t.Fatalf("%d of %d members heard every node", probed, 3*perNode)
			}
			break
		}
	}
	for i, sys := range systems {
		from := i + 1
		sender, err := sys.Spawn(func() actor.Actor {
			return actor.ReceiveFunc(func(ctx *actor.Context) {
				if ctx.Message() == "go" {
					for seq := range lines {
						if err := ctx.Publish("room", Numbered{From: from, Seq: seq}); err != nil {
							reports <- report{err: err.Error()}
							return
						}
					}
				}
			})
		})
		require.NoError(t, err)
		require.NoError(t, sys.Send(sender, "go"))
	}
	for done := 0; done < 3*perNode; {
		select {
		case r := <-reports:
			if r.probed { // a late probe
				continue
			}
			require.Empty(t, r.err)
			done++
		case <-time.After(waitFor):
			t.Fatalf("%d of %d members got every line", done, 3*perNode)
		}
	}
}
