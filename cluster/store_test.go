package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
)

var rooms = actor.GroupSettings{Pattern: "room:*", History: 100}

// Acknowledged publications get positions of one epoch, increasing within
// each group, and the live feed delivers them with those positions, in
// order; any UTF-8 name is a group.
func TestStorePublishPositions(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "pos", 1, rooms)
	groups := []string{"room:a", "room:hé llo.*>", "room:b"}
	n.follow(t, groups...)
	var want []actor.Publication
	last := map[string]actor.Position{}
	for i := range 30 {
		g := groups[i%len(groups)]
		msg := Chat{Text: fmt.Sprint(i)}
		p, err := n.publish(t, g, msg, fmt.Sprint("k", i))
		require.NoError(t, err)
		require.False(t, p.Duplicate)
		require.Equal(t, g, p.Group)
		require.NotZero(t, p.Position.Epoch)
		if prev, ok := last[g]; ok {
			require.Equal(t, prev.Epoch, p.Position.Epoch)
			require.Greater(t, p.Position.Seq, prev.Seq)
		}
		last[g] = p.Position
		want = append(want, actor.Publication{Group: g, Position: p.Position, From: 7, Msg: msg})
	}
	for _, w := range want {
		require.Equal(t, w, nextPub(t, n.sink))
	}
	// Without a key: stored and delivered, no ack.
	require.NoError(t, n.store.Publish(&actor.Publication{Group: "room:a", Msg: Chat{Text: "nokey"}}, "", nil))
	p := nextPub(t, n.sink)
	require.Equal(t, Chat{Text: "nokey"}, p.Msg)
	require.Greater(t, p.Position.Seq, last["room:a"].Seq)
}

// Publishing again with a key within the window stores nothing and
// answers with the first position; the key with another message is
// ErrKeyReused. Keys are per group.
func TestStoreDedup(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "dedup", 1, rooms)
	first, err := n.publish(t, "room:a", Chat{Text: "hi"}, "key-1")
	require.NoError(t, err)
	again, err := n.publish(t, "room:a", Chat{Text: "hi"}, "key-1")
	require.NoError(t, err)
	require.Equal(t, actor.Published{Group: "room:a", Position: first.Position, Duplicate: true}, again)
	// A resend through another actor (a client reconnected elsewhere): the
	// publisher differs, the message does not: a duplicate still.
	got := make(chan ackd, 1)
	require.NoError(t, n.store.Publish(&actor.Publication{Group: "room:a", From: 9, Msg: Chat{Text: "hi"}}, "key-1",
		func(p actor.Published, err error) { got <- ackd{p, err} }))
	resent := <-got
	require.NoError(t, resent.err)
	require.Equal(t, actor.Published{Group: "room:a", Position: first.Position, Duplicate: true}, resent.p)
	_, err = n.publish(t, "room:a", Chat{Text: "other"}, "key-1")
	require.ErrorIs(t, err, actor.ErrKeyReused)
	other, err := n.publish(t, "room:b", Chat{Text: "other"}, "key-1")
	require.NoError(t, err)
	require.False(t, other.Duplicate)

	h, err := n.read(t, "room:a", false, actor.Position{}, 10, 0)
	require.NoError(t, err)
	require.Len(t, h.Publications, 1, "the duplicates stored nothing")
	require.Equal(t, first.Position, h.Publications[0].Position)

	// Bad input is refused at once.
	err = n.store.Publish(&actor.Publication{Group: "room:a", Msg: Chat{}}, "bad\nkey", func(actor.Published, error) {})
	require.ErrorIs(t, err, actor.ErrBadKey)
	err = n.store.Publish(&actor.Publication{Group: "hall", Msg: Chat{}}, "", nil)
	require.ErrorIs(t, err, actor.ErrNoHistory)
	err = n.store.Publish(&actor.Publication{Group: "room:\x00", Msg: Chat{}}, "", nil)
	require.ErrorIs(t, err, actor.ErrBadGroup)
}

// Recovery after a position returns exactly the later publications of the
// group, in order; the last n; and the errors of bad positions and
// requests.
func TestStoreRead(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "read", 1, rooms)
	var pos []actor.Position
	for i := range 10 {
		p, err := n.publish(t, "room:a", Chat{Text: fmt.Sprint(i)}, fmt.Sprint(i))
		require.NoError(t, err)
		pos = append(pos, p.Position)
		_, err = n.publish(t, "room:b", Chat{Text: "noise"}, fmt.Sprint(i)) // interleaved
		require.NoError(t, err)
	}
	texts := func(h actor.History) (out []string) {
		for _, p := range h.Publications {
			require.Equal(t, "room:a", p.Group)
			out = append(out, p.Msg.(Chat).Text)
		}
		return out
	}
	h, err := n.read(t, "room:a", true, pos[3], 0, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"4", "5", "6", "7", "8", "9"}, texts(h))
	for i, p := range h.Publications {
		require.Equal(t, pos[4+i], p.Position)
	}
	require.Equal(t, pos[0], h.Oldest)
	require.Equal(t, pos[9], h.Latest)

	h, err = n.read(t, "room:a", true, actor.Position{}, 0, 0)
	require.NoError(t, err)
	require.Len(t, h.Publications, 10, "a zero position recovers everything")
	h, err = n.read(t, "room:a", true, actor.Position{}, 0, 4)
	require.NoError(t, err, "a zero position is never too far behind")
	require.Equal(t, []string{"6", "7", "8", "9"}, texts(h), "the last max")
	h, err = n.read(t, "room:a", true, pos[9], 0, 0)
	require.NoError(t, err)
	require.Empty(t, h.Publications, "nothing after the latest")

	h, err = n.read(t, "room:a", false, actor.Position{}, 3, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"7", "8", "9"}, texts(h))
	h, err = n.read(t, "room:a", false, actor.Position{}, 50, 0)
	require.NoError(t, err)
	require.Len(t, h.Publications, 10)
	h, err = n.read(t, "room:a", true, actor.Position{}, 2, 0) // JoinOptions.Last
	require.NoError(t, err)
	require.Equal(t, []string{"8", "9"}, texts(h))

	_, err = n.read(t, "room:a", true, actor.Position{Epoch: pos[0].Epoch, Seq: pos[9].Seq + 1000}, 0, 0)
	require.ErrorIs(t, err, actor.ErrFuturePosition)
	h, err = n.read(t, "room:a", true, actor.Position{Epoch: pos[0].Epoch + 1, Seq: 1}, 0, 0)
	require.ErrorIs(t, err, actor.ErrOtherEpoch)
	require.Equal(t, pos[9], h.Latest, "an error says what history holds")
	h, err = n.read(t, "room:a", true, pos[2], 0, 5)
	require.ErrorIs(t, err, actor.ErrTooFarBehind)
	require.Equal(t, pos[0], h.Oldest)
	h, err = n.read(t, "room:a", true, pos[4], 0, 5)
	require.NoError(t, err, "exactly max behind")
	require.Len(t, h.Publications, 5)
	_, err = n.read(t, "room:a", false, actor.Position{}, 6, 5)
	require.ErrorIs(t, err, actor.ErrHistoryTooLarge)
	_, err = n.read(t, "room:a", false, actor.Position{}, 0, 5)
	require.ErrorIs(t, err, actor.ErrHistoryTooLarge)

	h, err = n.read(t, "room:empty", true, actor.Position{}, 0, 0)
	require.NoError(t, err)
	require.Equal(t, actor.History{Group: "room:empty", Latest: actor.Position{Epoch: pos[0].Epoch}}, h, "the epoch, always")
	_, err = n.read(t, "hall", true, actor.Position{}, 0, 0)
	require.ErrorIs(t, err, actor.ErrNoHistory)
}

// A group's history limit drops its oldest: recovering from a dropped
// position is ErrHistoryLost, with what history still holds.
func TestStoreHistoryLost(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "lost", 1, actor.GroupSettings{Pattern: "room:*", History: 3})
	var pos []actor.Position
	for i := range 6 {
		p, err := n.publish(t, "room:a", Chat{Text: fmt.Sprint(i)}, "")
		require.NoError(t, err)
		pos = append(pos, p.Position)
		_, err = n.publish(t, "room:b", Chat{Text: "noise"}, "")
		require.NoError(t, err)
	}
	h, err := n.read(t, "room:a", true, pos[0], 0, 0)
	require.ErrorIs(t, err, actor.ErrHistoryLost)
	require.Equal(t, pos[3], h.Oldest)
	require.Equal(t, pos[5], h.Latest)
	h, err = n.read(t, "room:a", true, pos[3], 0, 0)
	require.NoError(t, err, "the oldest kept is still covered")
	require.Len(t, h.Publications, 2)
	h, err = n.read(t, "room:a", true, actor.Position{}, 0, 0)
	require.NoError(t, err)
	require.Len(t, h.Publications, 3)
}

// A stream deleted and made again is another epoch: positions of the
// first are refused with ErrOtherEpoch.
func TestStoreOtherEpoch(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "epoch", 1, rooms)
	p, err := n.publish(t, "room:a", Chat{Text: "before"}, "")
	require.NoError(t, err)
	n.stop(t)

	js := jsOf(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var streams []string
	for s := range js.StreamNames(ctx, jetstream.WithStreamListSubject("shoal.epoch.h.>")).Name() {
		streams = append(streams, s)
	}
	require.Len(t, streams, 1, "one stream for the pattern")
	require.NoError(t, js.DeleteStream(ctx, streams[0]))

	n = startStore(t, url, "epoch", 1, rooms)
	q, err := n.publish(t, "room:a", Chat{Text: "after"}, "")
	require.NoError(t, err)
	require.NotEqual(t, p.Position.Epoch, q.Position.Epoch)
	h, err := n.read(t, "room:a", true, p.Position, 0, 0)
	require.ErrorIs(t, err, actor.ErrOtherEpoch)
	require.Equal(t, q.Position, h.Latest)
}

// Two nodes publishing to one group at once: both nodes' feeds deliver
// every publication, in the same order, by increasing position.
func TestStoreLiveOrderAcrossNodes(t *testing.T) {
	url := jsServer(t, true)
	deep := actor.GroupSettings{Pattern: "room:*", History: 1000} // the feeds may lag behind, not lose
	n1 := startStore(t, url, "order", 1, deep)
	n2 := startStore(t, url, "order", 2, deep)
	n1.follow(t, "room:x")
	n2.follow(t, "room:x")
	const each = 200
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, n := range []*storeNode{n1, n2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				msg := Chat{From: fmt.Sprint(n.sink.node), Text: fmt.Sprint(i)}
				if err := n.store.Publish(&actor.Publication{Group: "room:x", Msg: msg}, "", nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var seen [2][]actor.Publication
	for i, n := range []*storeNode{n1, n2} {
		for range 2 * each {
			seen[i] = append(seen[i], nextPub(t, n.sink))
		}
	}
	for i := range seen {
		next := map[string]int{}
		for k, p := range seen[i] {
			if k > 0 {
				require.Greater(t, p.Position.Seq, seen[i][k-1].Position.Seq)
			}
			c := p.Msg.(Chat)
			if fmt.Sprint(next[c.From]) != c.Text {
				var all []string
				for _, p := range seen[i] {
					all = append(all, fmt.Sprintf("%s:%s@%d", p.Msg.(Chat).From, p.Msg.(Chat).Text, p.Position.Seq))
				}
				t.Fatalf("node %d: sender %s's order broken at %v: %v", i+1, c.From, p.Position, all)
			}
			next[c.From]++
		}
	}
	require.Equal(t, seen[0], seen[1], "both nodes see the same order")
}

// Stop answers every callback still owed, with ErrNoStore, once; requests
// after Stop are answered the same way, and publications refused.
func TestStoreStopAnswersOwedCallbacks(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "owed", 1, rooms)
	const pubs = 500
	var mu sync.Mutex
	calls := map[int]int{}
	var ok, failed int
	var wrong []error
	for i := range pubs {
		err := n.store.Publish(&actor.Publication{Group: "room:a", Msg: Chat{Text: "x"}}, fmt.Sprint(i), func(_ actor.Published, err error) {
			mu.Lock()
			defer mu.Unlock()
			calls[i]++
			switch {
			case err != nil && !errors.Is(err, actor.ErrNoStore):
				wrong = append(wrong, err)
			case err != nil:
				failed++
			default:
				ok++
			}
		})
		require.NoError(t, err)
	}
	reads := make(chan error, 20)
	for range 20 {
		n.store.Read("room:a", true, actor.Position{}, 0, 0, func(_ actor.History, err error) { reads <- err })
	}
	n.stop(t)
	mu.Lock()
	require.Len(t, calls, pubs, "every ack was called before Stop returned")
	for i, c := range calls {
		require.Equal(t, 1, c, "ack %d called once", i)
	}
	require.Empty(t, wrong, "failures other than ErrNoStore")
	t.Logf("%d acknowledged, %d failed by Stop", ok, failed)
	mu.Unlock()
	for range 20 {
		select {
		case <-reads:
		default:
			t.Fatal("a read was not answered before Stop returned")
		}
	}
	err := n.store.Publish(&actor.Publication{Group: "room:a", Msg: Chat{}}, "k", func(actor.Published, error) {})
	require.ErrorIs(t, err, actor.ErrNoStore)
	got := make(chan error, 1)
	n.store.Read("room:a", true, actor.Position{}, 0, 0, func(_ actor.History, err error) { got <- err })
	require.ErrorIs(t, <-got, actor.ErrNoStore)
}

// A system without group settings needs no JetStream; one with settings
// on a server without JetStream fails to start, saying so.
func TestStoreWithoutJetStream(t *testing.T) {
	url := jsServer(t, false)
	plain := startStore(t, url, "nojs", 1)
	require.NoError(t, plain.sys.Publish("room:a", Chat{Text: "plain groups work"}))
	err := call(t, func(r func(error)) { plain.store.Register("name", 1, r) })
	require.ErrorIs(t, err, actor.ErrNoStore)
	require.ErrorIs(t, err, cluster.ErrNoJetStream)

	node, err := cluster.New(cluster.Config{Name: "nojs", URL: url, Messages: []any{Chat{}}})
	require.NoError(t, err)
	sys, err := actor.NewSystem(actor.Node(2), actor.Cluster(remoteOnly{node}))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	defer stop(t, sys)
	err = node.GroupStore().Start(newSink(2, rooms))
	require.ErrorIs(t, err, cluster.ErrNoJetStream)
	t.Log(err)
}

// 10 000 groups with one publication each are one stream with 10 000
// subjects.
func TestStoreTenThousandGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("10 000 publications")
	}
	url := jsServer(t, true)
	n := startStore(t, url, "many", 1, rooms)
	const groups = 10_000
	acks := make(chan error, groups)
	start := time.Now()
	for i := range groups {
		for {
			err := n.store.Publish(&actor.Publication{Group: fmt.Sprint("room:", i), Msg: Chat{Text: "hello"}}, "k", func(_ actor.Published, err error) { acks <- err })
			if err == nil {
				break
			}
			require.ErrorIs(t, err, cluster.ErrBacklog)
			time.Sleep(time.Millisecond)
		}
	}
	for range groups {
		require.NoError(t, <-acks)
	}
	elapsed := time.Since(start)
	require.Zero(t, n.node.Stats().Received, "no members here: nothing delivered")
	js := jsOf(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var info *jetstream.StreamInfo
	for s := range js.ListStreams(ctx).Info() {
		info = s
	}
	require.NotNil(t, info)
	require.Equal(t, uint64(groups), info.State.NumSubjects)
	t.Logf("%d groups, one publication each, acknowledged in %v: stream %s holds %d messages, %d bytes, %d subjects",
		groups, elapsed.Round(time.Millisecond), info.Config.Name, info.State.Msgs, info.State.Bytes, info.State.NumSubjects)
}

// Publications of a history group come from the store only: an envelope
// for one arriving by core NATS (a node that still sends them there) is
// not delivered; plain groups are, as ever.
func TestStoreHistoryGroupsSkipCoreNATS(t *testing.T) {
	url := jsServer(t, true)
	n1 := startStore(t, url, "core", 1, rooms)
	n2 := startStore(t, url, "core", 2) // no settings: it sends every publication by core NATS
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.node.WaitNodes(ctx, 2))
	require.NoError(t, n2.node.WaitNodes(ctx, 1))
	got := make(chan string, 64)
	spawn(t, n1.sys, func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case actor.Started:
			ctx.Join("room:a")
			ctx.Join("hall")
		case Chat:
			got <- m.Text
		}
	})
	deadline := time.After(waitFor)
	for heard := false; !heard; {
		require.NoError(t, n2.sys.Publish("room:a", Chat{Text: "history group"}))
		require.NoError(t, n2.sys.Publish("hall", Chat{Text: "plain group"}))
		select {
		case s := <-got:
			require.Equal(t, "plain group", s)
			heard = true
		case <-deadline:
			t.Fatal("node 1's member never heard the plain group")
		case <-time.After(20 * time.Millisecond):
		}
	}
	require.NoError(t, n2.sys.Publish("room:a", Chat{Text: "history group"}))
	require.NoError(t, n2.sys.Publish("hall", Chat{Text: "plain group"}))
	for {
		select {
		case s := <-got:
			require.Equal(t, "plain group", s)
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}
