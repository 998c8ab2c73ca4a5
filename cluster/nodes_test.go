package cluster_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// heard is what a node watcher reports of one event: the event, whether
// its node was among the Node's live ones at that moment, and, after a
// NodeDown, what a send to the target it was given returned.
type heard struct {
	event   any // []int (what WatchNodes returned), actor.NodeUp or actor.NodeDown
	known   bool
	sendErr error
	at      time.Time
}

// nodeWatcher watches nodes and reports every event on got. An actor.ID
// message sets the target it sends to when a node goes down. Nothing here
// fails the test: it runs on a shard.
func nodeWatcher(n *cluster.Node, got chan<- heard) actor.Factory {
	return func() actor.Actor {
		var target actor.ID
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				got <- heard{event: ctx.WatchNodes(), at: time.Now()}
			case actor.ID:
				target = m
			case actor.NodeUp:
				got <- heard{event: m, known: slices.Contains(n.Nodes(), m.Node), at: time.Now()}
			case actor.NodeDown:
				h := heard{event: m, known: slices.Contains(n.Nodes(), m.Node), at: time.Now()}
				if !target.IsZero() {
					h.sendErr = ctx.Send(target, Chat{Text: "are you there?"})
				}
				got <- h
			}
		})
	}
}

func nextHeard(t *testing.T, got <-chan heard, within time.Duration) heard {
	t.Helper()
	select {
	case h := <-got:
		return h
	case <-time.After(within):
		t.Fatalf("the watcher heard nothing within %v", within)
	}
	return heard{}
}

// startNode starts a node of cfg's cluster with the given number, stopped
// when the test ends.
func startNode(t *testing.T, cfg cluster.Config, node int) (*actor.System, *cluster.Node) {
	t.Helper()
	n, err := cluster.New(cfg)
	require.NoError(t, err)
	sys, err := actor.NewSystem(actor.Node(node), actor.Shards(2), actor.Cluster(n))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	t.Cleanup(func() { stop(t, sys) })
	return sys, n
}

// A watcher on node 1 hears nodes 2 and 3 come up, and node 2 leave when it
// stops (a goodbye); at each event the node agrees (node 2 is among its
// live nodes at its NodeUp, gone at its NodeDown: a send to it fails at
// once with ErrNoNode). An actor that starts watching later gets the nodes
// up as a list.
func TestWatchersHearNodesComeAndLeave(t *testing.T) {
	cfg := cluster.Config{Name: "watch", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Chat{}}, Heartbeat: 100 * time.Millisecond,
		OnError: func(err error) { t.Log(err) }}
	sys1, n1 := startNode(t, cfg, 1)
	got := make(chan heard, 16)
	_, err := sys1.Spawn(nodeWatcher(n1, got))
	require.NoError(t, err)
	require.Equal(t, []int{}, nextHeard(t, got, waitFor).event)

	cfg.Server, cfg.URL = nil, n1.ClientURL()
	sys2, _ := startNode(t, cfg, 2)
	h := nextHeard(t, got, waitFor)
	require.Equal(t, actor.NodeUp{Node: 2}, h.event)
	require.True(t, h.known, "node 2 is known alive when its NodeUp arrives")
	startNode(t, cfg, 3)
	h = nextHeard(t, got, waitFor)
	require.Equal(t, actor.NodeUp{Node: 3}, h.event)
	require.True(t, h.known)

	later := make(chan heard, 16)
	w2, err := sys1.Spawn(nodeWatcher(n1, later))
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, nextHeard(t, later, waitFor).event)
	require.Equal(t, []int{2, 3}, sys1.Nodes())

	on2 := spawn(t, sys2, func(*actor.Context) {})
	require.NoError(t, sys1.Send(w2, on2))
	require.NoError(t, sys1.Send(on2, Chat{Text: "hello"}))
	stop(t, sys2)
	for _, c := range []chan heard{got, later} {
		h := nextHeard(t, c, waitFor)
		down, ok := h.event.(actor.NodeDown)
		require.True(t, ok, "%+v", h.event)
		require.Equal(t, 2, down.Node)
		require.ErrorIs(t, down.Reason, cluster.ErrNodeLeft)
		require.False(t, h.known, "node 2 is forgotten when its NodeDown arrives")
		if c == later {
			require.ErrorIs(t, h.sendErr, cluster.ErrNoNode, "a send from the watcher fails at once")
		}
	}
	require.ErrorIs(t, sys1.Send(on2, Chat{}), cluster.ErrNoNode)
	require.Equal(t, []int{3}, sys1.Nodes())
}

// child is a node in another process: TestHelperNode, run again by the
// test binary.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	echo  actor.ID // an actor on it that answers *Count
}

// startChild runs node number node of the cluster at url in a child
// process and waits until it knows node 1; it is killed when the test ends,
// if the test did not kill it.
func startChild(t *testing.T, url string, node int) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNode$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SHOAL_CHILD=1", "SHOAL_NATS="+url, "SHOAL_NODE="+strconv.Itoa(node))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &child{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { c.kill() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if s, ok := strings.CutPrefix(lines.Text(), "ready "); ok {
			c.echo, err = actor.ParseID(s)
			require.NoError(t, err)
			return c
		}
	}
	t.Fatalf("the child node never got ready: %v", lines.Err())
	return nil
}

// kill sends SIGKILL (no goodbye, no flush: a crash) and reaps the child.
func (c *child) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	_ = c.cmd.Wait()
	c.stdin.Close()
}

// TestHelperNode is the child process of startChild, not a test: a node
// that joins the cluster at $SHOAL_NATS as node $SHOAL_NODE, prints
// "ready <ID of an actor that answers *Count>" once it knows node 1, and
// runs until its standard input closes (its parent is gone) or it is
// killed.
func TestHelperNode(t *testing.T) {
	if os.Getenv("SHOAL_CHILD") != "1" {
		t.Skip("the child process of the tests that kill a node")
	}
	node, err := strconv.Atoi(os.Getenv("SHOAL_NODE"))
	require.NoError(t, err)
	n, err := cluster.New(cluster.Config{Name: "crash", URL: os.Getenv("SHOAL_NATS"), Messages: []any{Chat{}, &Count{}}, Heartbeat: 100 * time.Millisecond})
	require.NoError(t, err)
	sys, err := actor.NewSystem(actor.Node(node), actor.Cluster(n))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	echo, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if _, ok := ctx.Message().(*Count); ok {
				ctx.Respond(Chat{Text: "here"})
			}
		})
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n.WaitNodes(ctx, 1))
	fmt.Printf("ready %s\n", echo)
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0) // not a test: no leak check, no report
}

// crashConfig is node 1's config in the tests with a child node.
func crashConfig(t *testing.T, misses int) cluster.Config {
	return cluster.Config{Name: "crash", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Chat{}, &Count{}},
		Heartbeat: 100 * time.Millisecond, HeartbeatMisses: misses, OnError: func(err error) { t.Log(err) }}
}

// A node killed with SIGKILL says no goodbye: the watcher on node 1 hears
// it is down (missed heartbeats) within the documented bound, and from that
// moment a send to it fails at once with ErrNoNode.
func TestWatchersHearAKilledNode(t *testing.T) {
	cfg := crashConfig(t, 3)
	sys1, n1 := startNode(t, cfg, 1)
	got := make(chan heard, 16)
	w, err := sys1.Spawn(nodeWatcher(n1, got))
	require.NoError(t, err)
	require.Equal(t, []int{}, nextHeard(t, got, waitFor).event)

	c := startChild(t, n1.ClientURL(), 2)
	require.Equal(t, actor.NodeUp{Node: 2}, nextHeard(t, got, waitFor).event)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	v, err := sys1.Ask(ctx, c.echo, &Count{})
	require.NoError(t, err)
	require.Equal(t, Chat{Text: "here"}, v, "the child node answers")
	require.NoError(t, sys1.Send(w, c.echo))

	bound := time.Duration(cfg.HeartbeatMisses+1) * cfg.Heartbeat
	killed := time.Now()
	c.kill()
	h := nextHeard(t, got, bound+waitFor) // the bound, plus a machine's worth of delays
	t.Logf("NodeDown %v after the kill (bound %v plus delays)", h.at.Sub(killed), bound)
	down, ok := h.event.(actor.NodeDown)
	require.True(t, ok, "%+v", h.event)
	require.Equal(t, 2, down.Node)
	require.ErrorIs(t, down.Reason, cluster.ErrNodeSilent)
	require.False(t, h.known)
	require.ErrorIs(t, h.sendErr, cluster.ErrNoNode, "a send from the watcher fails at once")
	start := time.Now()
	require.ErrorIs(t, sys1.Send(c.echo, Chat{}), cluster.ErrNoNode)
	_, err = sys1.Ask(ctx, c.echo, &Count{})
	require.ErrorIs(t, err, cluster.ErrNoNode)
	require.Less(t, time.Since(start), waitFor/2, "refused at once, not timed out")
	require.Empty(t, sys1.Nodes())
}

// A node killed and started again before it was presumed dead (here node
// 1 would wait a minute) shows up as a new incarnation: NodeDown for the
// old one, then NodeUp, and the new one answers.
func TestWatchersHearANodeRestart(t *testing.T) {
	cfg := crashConfig(t, 600)
	sys1, n1 := startNode(t, cfg, 1)
	got := make(chan heard, 16)
	_, err := sys1.Spawn(nodeWatcher(n1, got))
	require.NoError(t, err)
	require.Equal(t, []int{}, nextHeard(t, got, waitFor).event)

	first := startChild(t, n1.ClientURL(), 2)
	require.Equal(t, actor.NodeUp{Node: 2}, nextHeard(t, got, waitFor).event)
	first.kill()
	second := startChild(t, n1.ClientURL(), 2)
	h := nextHeard(t, got, waitFor)
	down, ok := h.event.(actor.NodeDown)
	require.True(t, ok, "%+v", h.event)
	require.Equal(t, 2, down.Node)
	require.ErrorIs(t, down.Reason, cluster.ErrNodeRestarted)
	h = nextHeard(t, got, waitFor)
	require.Equal(t, actor.NodeUp{Node: 2}, h.event)
	require.True(t, h.known)

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	v, err := sys1.Ask(ctx, second.echo, &Count{})
	require.NoError(t, err)
	require.Equal(t, Chat{Text: "here"}, v)
	second.kill()
}

func TestHeartbeatConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  cluster.Config
		ok   bool
	}{
		{name: "defaults", cfg: cluster.Config{}, ok: true},
		{name: "two misses", cfg: cluster.Config{Heartbeat: 50 * time.Millisecond, HeartbeatMisses: 2}, ok: true},
		{name: "one miss", cfg: cluster.Config{HeartbeatMisses: 1}},
		{name: "negative misses", cfg: cluster.Config{HeartbeatMisses: -3}},
		{name: "overflowing bound", cfg: cluster.Config{Heartbeat: time.Duration(1 << 62), HeartbeatMisses: 3}},
	} {
		tc.cfg.URL = "nats://127.0.0.1:4222" // New connects nothing
		_, err := cluster.New(tc.cfg)
		if tc.ok {
			require.NoError(t, err, tc.name)
		} else {
			require.ErrorIs(t, err, cluster.ErrBadConfig, tc.name)
		}
	}
}

// Requests and asks waiting for an actor of a node that is killed are
// answered as soon as the node is reported down, with ErrNodeDown (and the
// reason), not when their own (long) timeouts would end.
func TestWaitingRequestsFailWhenTheirNodeDies(t *testing.T) {
	cfg := crashConfig(t, 3)
	sys1, n1 := startNode(t, cfg, 1)
	c := startChild(t, n1.ClientURL(), 2)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.WaitNodes(ctx, 2))

	// The child's actor answers only *Count: a Chat request waits forever.
	responses := make(chan actor.Response, 1)
	requester, err := sys1.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.ID:
				if _, err := ctx.Request(m, Chat{Text: "never answered"}, time.Hour); err != nil {
					responses <- actor.Response{Err: err}
				}
			case actor.Response:
				responses <- m
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, sys1.Send(requester, c.echo))
	asked := make(chan error, 1)
	go func() {
		_, err := sys1.Ask(context.Background(), c.echo, Chat{Text: "never answered"}) // no deadline at all
		asked <- err
	}()
	require.Eventually(t, func() bool { return n1.Stats().Sent >= 2 }, waitFor, time.Millisecond, "both requests are on their way")

	c.kill()
	for _, err := range []error{recv(t, asked), recv(t, responses).Err} {
		require.ErrorIs(t, err, actor.ErrNodeDown)
		require.ErrorIs(t, err, cluster.ErrNodeSilent, "the reason is kept")
	}
}

// recv returns the next value from ch, failing the test if none comes
// within waitFor. Test goroutine only.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatal("nothing received")
		panic("unreachable")
	}
}
