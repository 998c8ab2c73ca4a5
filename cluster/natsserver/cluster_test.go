package natsserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/cluster/natsserver"
)

// Two servers on route ports 0 form a core NATS cluster: the second
// routes to the first's RouteURL, and a message published on one reaches
// a subscriber on the other.
func TestRoutesPubSub(t *testing.T) {
	a := &natsserver.Server{Listen: "127.0.0.1:0", Cluster: "127.0.0.1:0"}
	require.Empty(t, a.RouteURL(), "not running yet")
	urlA := start(t, a)
	routeA := a.RouteURL()
	require.True(t, strings.HasPrefix(routeA, "nats-route://127.0.0.1:"), routeA)
	require.NotEqual(t, "nats-route://127.0.0.1:0", routeA, "the port chosen, not 0")

	b := &natsserver.Server{Listen: "127.0.0.1:0", Cluster: "127.0.0.1:0", Routes: []string{routeA}}
	urlB := start(t, b)
	require.NotEqual(t, routeA, b.RouteURL())

	ncA, err := nats.Connect(urlA)
	require.NoError(t, err)
	defer ncA.Close()
	ncB, err := nats.Connect(urlB)
	require.NoError(t, err)
	defer ncB.Close()
	require.NotEqual(t, ncA.ConnectedServerName(), ncB.ConnectedServerName(), "distinct default names")
	require.True(t, strings.HasPrefix(ncA.ConnectedServerName(), "shoal-"), ncA.ConnectedServerName())

	sub, err := ncA.SubscribeSync("greet")
	require.NoError(t, err)
	require.NoError(t, ncA.Flush())
	// The route comes up within a second or so, and the subscription
	// crosses it after: publish until one arrives.
	deadline := time.Now().Add(waitFor)
	for {
		require.NoError(t, ncB.Publish("greet", []byte("hi")))
		m, err := sub.NextMsg(100 * time.Millisecond)
		if err == nil {
			require.Equal(t, "hi", string(m.Data))
			break
		}
		require.ErrorIs(t, err, nats.ErrTimeout)
		require.True(t, time.Now().Before(deadline), "no message crossed the route within %v", waitFor)
	}

	b.Shutdown()
	require.Empty(t, b.RouteURL())
}

// Three servers with the same Routes (each one's own included) form a
// JetStream cluster: not before two of them run; an R3 stream and an R3
// key-value bucket are created and written; the stream's leader is shut
// down and the other two go on taking and serving messages and keys; the
// server started again with its DataDir catches up.
func TestJetStreamClusterOfThree(t *testing.T) {
	ports := freePorts(t, 3)
	routes := make([]string, 3)
	for i, p := range ports {
		routes[i] = "nats-route://" + hostPort(p)
	}
	servers := make([]*natsserver.Server, 3)
	urls := make([]string, 3)
	for i, p := range ports {
		servers[i] = &natsserver.Server{Listen: "127.0.0.1:0", Cluster: hostPort(p), Routes: routes, DataDir: t.TempDir()}
	}

	// One server alone has no quorum: no meta leader.
	t0 := time.Now()
	urls[0] = start(t, servers[0])
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err := servers[0].WaitJetStream(short)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "one server of three elects no leader")

	for i := 1; i < 3; i++ {
		urls[i] = start(t, servers[i])
	}
	for _, s := range servers {
		waitJetStream(t, s)
	}
	t.Logf("JetStream meta leader known to all three %v after the first Start", time.Since(t0))

	js := make([]jetstream.JetStream, 3)
	closeConn := make([]func(), 3)
	for i := range servers {
		js[i], closeConn[i] = connect(t, urls[i])
	}
	ctx := ctxFor(t)

	// The meta leader may not have seen all three peers yet: an R3
	// stream is refused until it has.
	var st jetstream.Stream
	t1 := time.Now()
	require.Eventually(t, func() bool {
		st, err = js[0].CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}, Replicas: 3, AllowDirect: true})
		return err == nil
	}, waitFor, poll, "R3 stream: %v", err)
	kv, err := js[1].CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "names", Replicas: 3})
	require.NoError(t, err)
	t.Logf("R3 stream and bucket created in %v", time.Since(t1))

	publish := func(js jetstream.JetStream, from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			// A leader lost meanwhile: publish again, de-duplicated by
			// the message ID.
			require.Eventually(t, func() bool {
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				ack, err := js.Publish(pctx, "events.a", fmt.Appendf(nil, "m%d", i), jetstream.WithMsgID(fmt.Sprint(i)))
				return err == nil && ack.Sequence == uint64(i+1)
			}, waitFor, poll, "publish %d", i)
		}
	}
	publish(js[2], 0, 10)
	_, err = kv.Put(ctx, "alice", []byte("node1"))
	require.NoError(t, err)

	info, err := st.Info(ctx)
	require.NoError(t, err)
	leader := -1
	for i, p := range ports {
		if info.Cluster.Leader == hostPort(p) { // default names: the route address
			leader = i
		}
	}
	require.NotEqual(t, -1, leader, "leader %q", info.Cluster.Leader)
	others := []int{(leader + 1) % 3, (leader + 2) % 3}

	t2 := time.Now()
	closeConn[leader]()
	servers[leader].Shutdown()
	publish(js[others[0]], 10, 20)
	t.Logf("the stream took a publication %v after its leader's Shutdown", time.Since(t2))
	kv, err = js[others[1]].KeyValue(ctx, "names")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err = kv.Put(ctx, "bob", []byte("node2"))
		return err == nil
	}, waitFor, poll, "put after the shutdown: %v", err)
	for _, o := range others {
		st, err := js[o].Stream(ctx, "EVENTS")
		require.NoError(t, err)
		for i := range 20 {
			m, err := st.GetMsg(ctx, uint64(i+1))
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("m%d", i), string(m.Data))
		}
		kv, err := js[o].KeyValue(ctx, "names")
		require.NoError(t, err)
		for k, v := range map[string]string{"alice": "node1", "bob": "node2"} {
			e, err := kv.Get(ctx, k)
			require.NoError(t, err)
			require.Equal(t, v, string(e.Value()))
		}
	}

	// Back with its DataDir (and the same name, from its route port), the
	// server catches up and serves every message again.
	t3 := time.Now()
	urls[leader] = start(t, servers[leader])
	waitJetStream(t, servers[leader])
	js[leader], _ = connect(t, urls[leader])
	st, err = js[others[0]].Stream(ctx, "EVENTS")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := st.Info(ctx)
		if err != nil || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			return false
		}
		for _, r := range info.Cluster.Replicas {
			if !r.Current {
				return false
			}
		}
		return true
	}, waitFor, poll, "all three replicas current")
	t.Logf("the restarted server caught up in %v", time.Since(t3))
	back, err := js[leader].Stream(ctx, "EVENTS")
	require.NoError(t, err)
	for i := range 20 {
		m, err := back.GetMsg(ctx, uint64(i+1))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("m%d", i), string(m.Data))
	}
	ack, err := js[leader].Publish(ctx, "events.a", []byte("m20"))
	require.NoError(t, err)
	require.Equal(t, uint64(21), ack.Sequence)
}
