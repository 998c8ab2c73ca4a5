package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// The live feed of history groups (store_feed.go): republished stream
// messages per followed group, the chain repairing what a node missed.

// publishMany publishes count publications to group from n with keys
// (prefix-i), and returns their positions in order.
func publishMany(t *testing.T, n *storeNode, group, prefix string, count int) []actor.Position {
	t.Helper()
	acks := make(chan ackd, count)
	for i := range count {
		msg := Chat{From: prefix, Text: strconv.Itoa(i)}
		for {
			err := n.store.Publish(&actor.Publication{Group: group, Msg: msg}, prefix+"-"+strconv.Itoa(i), func(p actor.Published, err error) { acks <- ackd{p, err} })
			if err == nil {
				break
			}
			require.ErrorIs(t, err, cluster.ErrBacklog)
			time.Sleep(time.Millisecond)
		}
	}
	var pos []actor.Position
	for range count {
		select {
		case a := <-acks:
			require.NoError(t, a.err)
			pos = append(pos, a.p.Position)
		case <-time.After(waitFor):
			t.Fatalf("%d of %d publications to %q acknowledged", len(pos), count, group)
		}
	}
	sort.Slice(pos, func(i, j int) bool { return pos[i].Seq < pos[j].Seq })
	return pos
}

// gaps returns the feed gaps n reported so far, by group.
func gaps(n *storeNode) map[string][]*cluster.FeedGapError {
	out := map[string][]*cluster.FeedGapError{}
	for {
		select {
		case err := <-n.errs:
			var g *cluster.FeedGapError
			if errors.As(err, &g) {
				out[g.Group] = append(out[g.Group], g)
			}
		default:
			return out
		}
	}
}

// A burst of four times a group's History while the node's sink is
// blocked: every publication reaches the sink, in order (the republished
// messages wait for the delivery goroutine; none is dropped by the
// history limit before it gets them, as the old whole-stream feed did).
func TestFeedBurstWhileSinkBlocked(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "burst", 1, rooms) // History 100
	n.follow(t, "room:a")
	n.sink.hold.Lock()
	held := true
	defer func() {
		if held {
			n.sink.hold.Unlock()
		}
	}()
	pos := publishMany(t, n, "room:a", "x", 450)
	n.sink.hold.Unlock()
	held = false
	start := time.Now()
	for i, want := range pos {
		p := nextPub(t, n.sink)
		require.Equal(t, want, p.Position, "publication %d", i)
		require.Equal(t, strconv.Itoa(i), p.Msg.(Chat).Text)
	}
	t.Logf("450 publications delivered %v after the sink let go", time.Since(start).Round(time.Millisecond))
	require.Empty(t, gaps(n))
	require.Zero(t, n.node.Stats().Repaired)
	select {
	case p := <-n.sink.pubs:
		t.Fatalf("a publication too many: %v", p.Position)
	case <-time.After(100 * time.Millisecond):
	}
}

// With a feed buffer of 8 and the sink blocked during a burst of 300 in
// each of two groups (History 100), NATS drops most republished messages
// (a slow consumer): the feed reads back what the stream still holds (each
// group's last 100), reports the rest as a gap of that group, and delivers
// each group in order. Every publication is delivered or inside a
// reported gap.
func TestFeedSlowConsumerRepaired(t *testing.T) {
	url := jsServer(t, true)
	restore := cluster.SetFeedBuffer(8)
	n := startStore(t, url, "slow", 1, rooms)
	restore()
	groups := []string{"room:a", "room:b"}
	n.follow(t, groups...)
	n.sink.hold.Lock()
	held := true
	defer func() {
		if held {
			n.sink.hold.Unlock()
		}
	}()
	pos := map[string][]actor.Position{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := publishMany(t, n, g, g, 300)
			mu.Lock()
			pos[g] = p
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.Len(t, pos, 2)
	n.sink.hold.Unlock()
	held = false
	start := time.Now()
	got := map[string][]actor.Position{}
	done := func() bool {
		for _, g := range groups {
			if l := got[g]; len(l) == 0 || l[len(l)-1] != pos[g][len(pos[g])-1] {
				return false
			}
		}
		return true
	}
	for !done() {
		p := nextPub(t, n.sink)
		got[p.Group] = append(got[p.Group], p.Position)
	}
	t.Logf("both groups' last publication delivered %v after the sink let go", time.Since(start).Round(time.Millisecond))
	time.Sleep(100 * time.Millisecond)
	reported := gaps(n)
	st := n.node.Stats()
	t.Logf("stats %+v, gaps %v", st, reported)
	require.NotZero(t, st.Dropped)
	require.GreaterOrEqual(t, st.Repaired, uint64(len(groups)*100))
	for _, g := range groups {
		seqs := got[g]
		for i := 1; i < len(seqs); i++ {
			require.Greater(t, seqs[i].Seq, seqs[i-1].Seq, "%s delivered in order, once", g)
		}
		delivered := map[actor.Position]bool{}
		for _, p := range seqs {
			delivered[p] = true
		}
		all := pos[g]
		for _, p := range all[len(all)-100:] {
			require.True(t, delivered[p], "%s: %v still in history, not delivered", g, p)
		}
		require.NotEmpty(t, reported[g], "%s: the gap is reported", g)
		for _, p := range all {
			if delivered[p] {
				continue
			}
			in := false
			for _, r := range reported[g] {
				in = in || r.After < p.Seq && p.Seq < r.Before
			}
			require.True(t, in, "%s: %v neither delivered nor in a reported gap %v", g, p, reported[g])
		}
		t.Logf("%s: %d of %d delivered", g, len(seqs), len(all))
	}
}

// Republished messages the node missed are read back from the stream: in
// the middle of a group's chain when its next message arrives, and at its
// end by the probe a moment after the follow began.
func TestFeedChainRepair(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "chain", 1, rooms)
	n.follow(t, "room:a")
	require.True(t, n.node.SkipRepublished("room:a", 3))
	start := time.Now()
	pos := publishMany(t, n, "room:a", "a", 5)
	for i, want := range pos {
		require.Equal(t, want, nextPub(t, n.sink).Position, "publication %d", i)
	}
	t.Logf("3 missed in the middle: all 5 delivered %v after publishing began", time.Since(start).Round(time.Millisecond))
	require.Equal(t, uint64(3), n.node.Stats().Repaired)

	// At the end of a chain: nothing follows to show the loss, but the
	// probe after the follow began finds it.
	n.follow(t, "room:b")
	require.True(t, n.node.SkipRepublished("room:b", 2))
	start = time.Now()
	pos = publishMany(t, n, "room:b", "b", 2)
	for i, want := range pos {
		require.Equal(t, want, nextPub(t, n.sink).Position, "publication %d", i)
	}
	t.Logf("2 missed at the end: delivered %v after publishing began (the probe)", time.Since(start).Round(time.Millisecond))
	require.Eventually(t, func() bool { return n.node.Stats().Repaired == 5 }, waitFor, 5*time.Millisecond) // counted after the delivery
	require.Empty(t, gaps(n))
}

// Two nodes publishing to the same three groups at once: each node's sink
// gets every publication once, and both get each group's in the same
// order, the order of positions.
func TestFeedTwoNodesConcurrent(t *testing.T) {
	url := jsServer(t, true)
	deep := actor.GroupSettings{Pattern: "room:*", History: 1000}
	nodes := []*storeNode{startStore(t, url, "two", 1, deep), startStore(t, url, "two", 2, deep)}
	groups := []string{"room:a", "room:b", "room:c"}
	for _, n := range nodes {
		n.follow(t, groups...)
	}
	const each = 150
	var mu sync.Mutex
	want := map[string][]actor.Position{}
	var wg sync.WaitGroup
	for i, n := range nodes {
		for _, g := range groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := publishMany(t, n, g, fmt.Sprint("n", i), each)
				mu.Lock()
				want[g] = append(want[g], p...)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	for _, g := range groups {
		slices.SortFunc(want[g], func(a, b actor.Position) int { return int(a.Seq) - int(b.Seq) })
	}
	for _, n := range nodes {
		got := map[string][]actor.Position{}
		for range 2 * each * len(groups) {
			p := nextPub(t, n.sink)
			got[p.Group] = append(got[p.Group], p.Position)
		}
		for _, g := range groups {
			require.Equal(t, want[g], got[g], "node %d, %s: every publication once, by position", n.sink.node, g)
		}
		select {
		case p := <-n.sink.pubs:
			t.Fatalf("node %d: a publication too many: %v", n.sink.node, p)
		case <-time.After(100 * time.Millisecond):
		}
		require.Empty(t, gaps(n))
	}
}

// A node receives the publications of the history groups it has members
// of, and no others: none before its first member, none after its last
// left.
func TestFeedOnlyFollowedGroups(t *testing.T) {
	url := jsServer(t, true)
	n1 := startStore(t, url, "only", 1, rooms)
	n2 := startStore(t, url, "only", 2, rooms)
	n1.follow(t, "room:a")
	publishMany(t, n2, "room:a", "a", 50)
	publishMany(t, n2, "room:b", "b", 50)
	for range 50 {
		require.Equal(t, "room:a", nextPub(t, n1.sink).Group)
	}
	time.Sleep(200 * time.Millisecond)
	require.Empty(t, n1.sink.pubs, "nothing of room:b")
	require.Equal(t, uint64(50), n1.node.Stats().Received)
	require.Zero(t, n2.node.Stats().Received, "node 2 has no members: nothing reaches it")

	n1.node.Interest("room:a", false)
	time.Sleep(200 * time.Millisecond) // the follower unsubscribes
	publishMany(t, n2, "room:a", "again", 20)
	time.Sleep(200 * time.Millisecond)
	require.Empty(t, n1.sink.pubs, "nothing after the last member left")
	require.Equal(t, uint64(50), n1.node.Stats().Received)
}

// One republished publication's trip, from Publish to the sink of the
// publishing node and of another, measured one at a time.
func TestFeedLatency(t *testing.T) {
	url := jsServer(t, true)
	n1 := startStore(t, url, "latency", 1, rooms)
	n2 := startStore(t, url, "latency", 2, rooms)
	n1.follow(t, "room:a")
	n2.follow(t, "room:a")
	const rounds = 200
	var self, other []time.Duration
	for i := range rounds {
		t0 := time.Now()
		require.NoError(t, n1.store.Publish(&actor.Publication{Group: "room:a", Msg: Chat{Text: strconv.Itoa(i)}}, "", nil))
		nextPub(t, n1.sink)
		self = append(self, time.Since(t0))
		nextPub(t, n2.sink)
		other = append(other, time.Since(t0))
	}
	q := func(d []time.Duration, f float64) time.Duration {
		slices.Sort(d)
		return d[int(f*float64(len(d)-1))].Round(time.Microsecond)
	}
	t.Logf("Publish to sink, %d rounds: this node p50 %v p99 %v; the other p50 %v p99 %v", rounds, q(self, .5), q(self, .99), q(other, .5), q(other, .99))
}

// natsCluster runs three NATS servers with JetStream routed into one
// cluster, and returns their client URLs once JetStream is up.
func natsCluster(t testing.TB) []string {
	t.Helper()
	ports := make([]int, 3)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close() // free again for its server (every server must know every route first)
	}
	routes := make([]string, 3)
	for i, p := range ports {
		routes[i] = "nats-route://127.0.0.1:" + strconv.Itoa(p)
	}
	servers := make([]*natsserver.Server, 3)
	for i, p := range ports {
		servers[i] = &natsserver.Server{Listen: "127.0.0.1:0", Name: fmt.Sprint("s", i), Cluster: "127.0.0.1:" + strconv.Itoa(p), Routes: routes, DataDir: t.TempDir()}
	}
	urls := make([]string, 3)
	for i, s := range servers {
		var err error
		urls[i], err = s.Start()
		require.NoError(t, err)
		t.Cleanup(s.Shutdown)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for _, s := range servers {
		require.NoError(t, s.WaitJetStream(ctx))
	}
	return urls
}

// A NATS cluster of three servers, R3 streams, each node on its own
// server: live delivery crosses servers, and a recovery's Read right after
// the node's first member (Interest) misses nothing published meanwhile
// from another server, round after round (the subscription reaches the
// stream leader's server over a route after the flush: what it misses the
// chain and the probe deliver).
func TestFeedNATSClusterSeam(t *testing.T) {
	if testing.Short() {
		t.Skip("a NATS cluster of three")
	}
	urls := natsCluster(t)
	deep := actor.GroupSettings{Pattern: "room:*", History: 10_000, MaxReplay: 10_000}
	var nodes []*storeNode
	for i, url := range urls {
		nodes = append(nodes, startStoreWith(t, cluster.Config{Name: "seam", URL: url, Replicas: 3, Storage: cluster.MemoryStorage}, i+1, deep))
	}
	// Live delivery across servers.
	nodes[2].follow(t, "room:live")
	pos := publishMany(t, nodes[0], "room:live", "live", 20)
	for _, want := range pos {
		require.Equal(t, want, nextPub(t, nodes[2].sink).Position)
	}

	pub, member := nodes[0], nodes[1]
	const rounds = 15
	repaired := member.node.Stats().Repaired
	for r := range rounds {
		g := fmt.Sprint("room:seam-", r)
		stop := make(chan struct{})
		acks := make(chan ackd, 1<<14)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // publishes until stopped, without waiting for acks
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := pub.store.Publish(&actor.Publication{Group: g, Msg: Chat{Text: strconv.Itoa(i)}}, strconv.Itoa(i), func(p actor.Published, err error) { acks <- ackd{p, err} })
				if err != nil {
					acks <- ackd{err: err}
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
		for len(acks) < 10 { // some history before the member comes
			time.Sleep(time.Millisecond)
		}
		member.node.Interest(g, true) // the join
		hist, err := member.read(t, g, true, actor.Position{}, 0, 0)
		require.NoError(t, err)
		time.Sleep(30 * time.Millisecond) // publications after the Read
		close(stop)
		wg.Wait()
		// Every acknowledged publication must reach the member: in the
		// answer, or live (the shard dedups by position).
		want := map[uint64]bool{}
		for len(acks) > 0 {
			a := <-acks
			require.NoError(t, a.err)
			want[a.p.Position.Seq] = true
		}
		have := map[uint64]bool{}
		for _, p := range hist.Publications {
			have[p.Position.Seq] = true
		}
		var live []uint64
		missing := func() int {
			k := 0
			for s := range want {
				if !have[s] {
					k++
				}
			}
			return k
		}
		deadline := time.After(waitFor)
		for missing() > 0 {
			select {
			case p := <-member.sink.pubs:
				if p.Group != g {
					continue
				}
				if len(live) > 0 {
					require.Greater(t, p.Position.Seq, live[len(live)-1], "round %d: live in order, once", r)
				}
				live = append(live, p.Position.Seq)
				have[p.Position.Seq] = true
			case <-deadline:
				t.Fatalf("round %d: %d of %d acknowledged publications never reached the member", r, missing(), len(want))
			}
		}
		member.node.Interest(g, false) // the leave
		t.Logf("round %d: %d published, %d in the Read (up to %v), %d live", r, len(want), len(hist.Publications), hist.Latest.Seq, len(live))
	}
	t.Logf("repaired in all rounds: %d", member.node.Stats().Repaired-repaired)
	require.Empty(t, gaps(member))
}

// A node's first member of a group joins (Interest) and a publication is
// stored at once, before the node's live feed of the group has begun (its
// subscription, its base): it still reaches the member, as it would in a
// plain group. The feed begins from the last publication stored before the
// join (give or take the clocks' margin), not from the one stored last
// when it began.
func TestFeedFirstJoinGetsWhatFollowsAtOnce(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "firstjoin", 1, rooms)
	other := startStore(t, url, "firstjoin", 2, rooms)
	for i := range 20 {
		g := fmt.Sprint("room:first-", i)
		old, err := other.publish(t, g, Chat{From: "before", Text: "old"}, "")
		require.NoError(t, err)
		time.Sleep(1200 * time.Millisecond * time.Duration(i%2)) // every other group: the last publication long before the join
		n.node.Interest(g, true)
		p, err := other.publish(t, g, Chat{From: "after", Text: strconv.Itoa(i)}, "")
		require.NoError(t, err)
		for {
			got := nextPub(t, n.sink)
			require.Equal(t, g, got.Group)
			if got.Position == old.Position {
				continue // within the margin: stored just before the join
			}
			require.Equal(t, p.Position, got.Position, "group %s", g)
			break
		}
	}
}
