package cluster_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
)

var lobby = actor.GroupSettings{Pattern: "lobby:*", Presence: true}

// Presence across two nodes: joins and leaves reach the watcher on the
// other node, once each; Members lists every node's; a node's death (its
// NodeDown on the other) removes its members, announced as leaves.
func TestStorePresence(t *testing.T) {
	url := jsServer(t, true)
	n1 := startStore(t, url, "presence", 1, lobby)
	n2 := startStore(t, url, "presence", 2, lobby)
	const g = "lobby:ünïcode room"
	n2.store.Watch(g, true)
	n2.store.Watch(g, true) // a second first watcher changes nothing
	require.Eventually(t, func() bool { return len(n2.members(t, g)) == 0 }, waitFor, 10*time.Millisecond)
	// The watch is set up by the serial worker, before later presence
	// writes of node 2; node 1's writes race with it, so wait until a write
	// of node 2 shows up first.
	n2.store.Present(g, actor.Member{ID: 200, Info: "bob"}, true)
	require.Equal(t, actor.Presence{Group: g, Member: actor.Member{ID: 200, Info: "bob"}, Joined: true}, nextPresence(t, n2.sink))

	n1.store.Present(g, actor.Member{ID: 100, Info: "ann"}, true)
	require.Equal(t, actor.Presence{Group: g, Member: actor.Member{ID: 100, Info: "ann"}, Joined: true}, nextPresence(t, n2.sink))
	n1.store.Present(g, actor.Member{ID: 101, Info: "cy"}, true)
	require.Equal(t, actor.Presence{Group: g, Member: actor.Member{ID: 101, Info: "cy"}, Joined: true}, nextPresence(t, n2.sink))
	require.Equal(t, []actor.Member{{ID: 100, Info: "ann"}, {ID: 101, Info: "cy"}, {ID: 200, Info: "bob"}}, n1.members(t, g))

	n1.store.Present(g, actor.Member{ID: 101}, false)
	require.Equal(t, actor.Presence{Group: g, Member: actor.Member{ID: 101, Info: "cy"}}, nextPresence(t, n2.sink), "a leave carries the info")
	n1.store.Present(g, actor.Member{ID: 101}, false) // not present: no second leave
	n1.store.Present(g, actor.Member{ID: 102, Info: "dee"}, true)
	require.Equal(t, actor.Presence{Group: g, Member: actor.Member{ID: 102, Info: "dee"}, Joined: true}, nextPresence(t, n2.sink))

	// Node 1 goes down: node 2 removes its members.
	n1.stop(t)
	left := map[actor.ID]bool{}
	for range 2 {
		ev := nextPresence(t, n2.sink)
		require.False(t, ev.Joined)
		left[ev.Member.ID] = true
	}
	require.Equal(t, map[actor.ID]bool{100: true, 102: true}, left)
	require.Equal(t, []actor.Member{{ID: 200, Info: "bob"}}, n2.members(t, g))
	select {
	case ev := <-n2.sink.presence:
		t.Fatalf("an event too many: %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}

	// Bad input and groups without presence.
	got := make(chan error, 1)
	n2.store.Members("hall", func(_ []actor.Member, err error) { got <- err })
	require.ErrorIs(t, <-got, actor.ErrNoPresence)
	n2.store.Members("lobby:\x01", func(_ []actor.Member, err error) { got <- err })
	require.ErrorIs(t, <-got, actor.ErrBadGroup)
}

// A node's entries from an earlier incarnation are removed when it starts
// again (nobody was left to remove them).
func TestStoreStaleIncarnation(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "stale", 1, lobby)
	n.store.Present("lobby:a", actor.Member{ID: 5, Info: "ghost"}, true)
	require.NoError(t, call(t, func(r func(error)) { n.store.Register("ghost", 5, r) }))
	require.Eventually(t, func() bool { return len(n.members(t, "lobby:a")) == 1 }, waitFor, 10*time.Millisecond)
	n.stop(t)

	n = startStore(t, url, "stale", 1, lobby)
	require.Empty(t, n.members(t, "lobby:a"))
	_, err := n.lookup(t, "ghost")
	require.ErrorIs(t, err, actor.ErrNoName)
}

// Names: registered on one node, refused to another actor on another,
// looked up anywhere, released by their holder only, and at the holder's
// node's death.
func TestStoreNames(t *testing.T) {
	url := jsServer(t, true)
	n1 := startStore(t, url, "names", 1, lobby)
	n2 := startStore(t, url, "names", 2, lobby)
	const name = "zoë the great"
	require.NoError(t, call(t, func(r func(error)) { n1.store.Register(name, 11, r) }))
	require.NoError(t, call(t, func(r func(error)) { n1.store.Register(name, 11, r) }), "its holder again")
	err := call(t, func(r func(error)) { n2.store.Register(name, 22, r) })
	require.ErrorIs(t, err, actor.ErrNameTaken)
	id, err := n2.lookup(t, name)
	require.NoError(t, err)
	require.Equal(t, actor.ID(11), id)

	n2.store.Unregister(name, 22) // not its holder: nothing
	n1.store.Unregister(name, 11)
	require.Eventually(t, func() bool {
		_, err := n2.lookup(t, name)
		return errors.Is(err, actor.ErrNoName)
	}, waitFor, 10*time.Millisecond)
	require.NoError(t, call(t, func(r func(error)) { n2.store.Register(name, 22, r) }), "free again")
	id, err = n1.lookup(t, name)
	require.NoError(t, err)
	require.Equal(t, actor.ID(22), id)

	require.NoError(t, call(t, func(r func(error)) { n1.store.Register("held by 1", 12, r) }))
	n1.stop(t)
	require.Eventually(t, func() bool {
		_, err := n2.lookup(t, "held by 1")
		return errors.Is(err, actor.ErrNoName)
	}, waitFor, 10*time.Millisecond, "released at its node's NodeDown")
	id, err = n2.lookup(t, name)
	require.NoError(t, err, "the other node's names stay")
	require.Equal(t, actor.ID(22), id)

	err = call(t, func(r func(error)) { n2.store.Register("", 1, r) })
	require.ErrorIs(t, err, actor.ErrBadName)
	_, err = n2.lookup(t, "bad\x7fname")
	require.ErrorIs(t, err, actor.ErrBadName)
}

// Names work on a node without group settings (the bucket is opened at
// the first request).
func TestStoreNamesWithoutSettings(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "plainnames", 1)
	require.NoError(t, call(t, func(r func(error)) { n.store.Register("solo", 3, r) }))
	id, err := n.lookup(t, "solo")
	require.NoError(t, err)
	require.Equal(t, actor.ID(3), id)
}

// When a node goes down, the cleaner (the lowest-numbered live node)
// removes the entries of every incarnation not alive, not only the one
// that went down: what a node left whose cleaner died before cleaning (here
// node 7's, written straight into the buckets) goes at the next NodeDown,
// once older than the grace period (entries younger than it may be a live
// node's not yet heard of: node 8's goes at the sweep a grace period
// later). Live nodes' entries stay.
func TestStoreSweepLeftovers(t *testing.T) {
	url := jsServer(t, true)
	n1 := startStore(t, url, "sweep", 1, lobby)
	n2 := startStore(t, url, "sweep", 2, lobby)
	n3 := startStore(t, url, "sweep", 3, lobby)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for _, n := range []*storeNode{n1, n2, n3} {
		require.NoError(t, n.node.WaitNodes(ctx, 1, 2, 3))
	}
	const g = "lobby:a"
	n1.store.Present(g, actor.Member{ID: 100, Info: "one"}, true)
	n3.store.Present(g, actor.Member{ID: 300, Info: "three"}, true)
	require.NoError(t, call(t, func(r func(error)) { n3.store.Register("three's", 33, r) }))

	ghost := ghostWriter(t, ctx, url, "sweep", g)
	ghost(7, 700)
	grace := 4*100*time.Millisecond + time.Second // (HeartbeatMisses+1) heartbeats and a second
	time.Sleep(grace + 200*time.Millisecond)
	ghost(8, 800)
	ids := func() (out []actor.ID) {
		for _, m := range n1.members(t, g) {
			out = append(out, m.ID)
		}
		return out
	}
	require.Equal(t, []actor.ID{100, 300, 700, 800}, ids())

	n2.stop(t)
	require.Eventually(t, func() bool { return slices.Equal(ids(), []actor.ID{100, 300, 800}) }, waitFor, 10*time.Millisecond, "node 7's presence goes at node 2's NodeDown")
	require.Eventually(t, func() bool {
		_, err := n1.lookup(t, "ghost 7")
		return errors.Is(err, actor.ErrNoName)
	}, waitFor, 10*time.Millisecond, "and its names (swept after the presence)")
	_, err := n1.lookup(t, "ghost 8")
	require.NoError(t, err, "node 8's are too young yet")
	start := time.Now()
	require.Eventually(t, func() bool { return slices.Equal(ids(), []actor.ID{100, 300}) }, waitFor, 10*time.Millisecond, "node 8's go a grace period later")
	t.Logf("the young leftovers went %v after the first sweep", time.Since(start).Round(time.Millisecond))
	require.Eventually(t, func() bool {
		_, err := n1.lookup(t, "ghost 8")
		return errors.Is(err, actor.ErrNoName)
	}, waitFor, 10*time.Millisecond)
	id, err := n1.lookup(t, "three's")
	require.NoError(t, err, "a live node's names stay")
	require.Equal(t, actor.ID(33), id)
}

// The cleaner also sweeps on its own, without any NodeDown: what a node
// left that nobody will report down (it died while the cluster was down,
// and never came back) goes once older than the grace period; a live
// node's entries stay.
func TestStoreSweepsLeftoversWithoutNodeDown(t *testing.T) {
	defer cluster.SetSweepEvery(200 * time.Millisecond)()
	url := jsServer(t, true)
	n1 := startStore(t, url, "patrol", 1, lobby)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	const g = "lobby:a"
	n1.store.Present(g, actor.Member{ID: 100, Info: "one"}, true)
	require.NoError(t, call(t, func(r func(error)) { n1.store.Register("one's", 11, r) }))

	ghostWriter(t, ctx, url, "patrol", g)(9, 900)
	ids := func() (out []actor.ID) {
		for _, m := range n1.members(t, g) {
			out = append(out, m.ID)
		}
		return out
	}
	require.Eventually(t, func() bool { return slices.Equal(ids(), []actor.ID{100, 900}) }, waitFor, 10*time.Millisecond)

	require.Eventually(t, func() bool { return slices.Equal(ids(), []actor.ID{100}) }, waitFor, 10*time.Millisecond, "node 9's presence goes with no NodeDown")
	require.Eventually(t, func() bool {
		_, err := n1.lookup(t, "ghost 9")
		return errors.Is(err, actor.ErrNoName)
	}, waitFor, 10*time.Millisecond, "and its name")
	id, err := n1.lookup(t, "one's")
	require.NoError(t, err, "a live node's names stay")
	require.Equal(t, actor.ID(11), id)
}

// ghostWriter returns a function that writes, straight into cluster name's
// buckets, a presence entry in group and a name ("ghost <node>") of node's
// dead incarnation "dead-<node>": what a node leaves behind when it dies
// with nobody to clean up after it.
func ghostWriter(t *testing.T, ctx context.Context, url, name, group string) func(node int, id actor.ID) {
	js := jsOf(t, url)
	presence, err := js.KeyValue(ctx, "SHOAL_"+name+"_presence")
	require.NoError(t, err)
	names, err := js.KeyValue(ctx, "SHOAL_"+name+"_names")
	require.NoError(t, err)
	tok := base64.RawURLEncoding.EncodeToString([]byte(group))
	return func(node int, id actor.ID) {
		inc := fmt.Sprint("dead-", node)
		_, err := presence.Put(ctx, fmt.Sprintf("%d.%s.%d", node, tok, id), append(append(binary.AppendUvarint(nil, uint64(len(inc))), inc...), "ghost"...))
		require.NoError(t, err)
		v := binary.LittleEndian.AppendUint64(nil, uint64(id))
		v = append(binary.AppendUvarint(v, uint64(node)), inc...)
		_, err = names.Put(ctx, base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "ghost %d", node)), v)
		require.NoError(t, err)
	}
}

// A live node that another took for dead (and whose presence and names it
// swept) writes them again at its next patrol: its members show again, its
// names are its again; a name someone else took meanwhile is reported lost.
func TestStoreReassertsWhatWasSwept(t *testing.T) {
	defer cluster.SetSweepEvery(200 * time.Millisecond)()
	url := jsServer(t, true)
	n1 := startStore(t, url, "reassert", 1, lobby)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	const g = "lobby:a"
	n1.store.Present(g, actor.Member{ID: 100, Info: "one"}, true)
	n1.store.Present(g, actor.Member{ID: 101, Info: "gone"}, true)
	n1.store.Present(g, actor.Member{ID: 101}, false) // left: not written again
	require.NoError(t, call(t, func(r func(error)) { n1.store.Register("one's", 11, r) }))
	require.NoError(t, call(t, func(r func(error)) { n1.store.Register("stolen", 12, r) }))
	ids := func() (out []actor.ID) {
		for _, m := range n1.members(t, g) {
			out = append(out, m.ID)
		}
		return out
	}
	require.Eventually(t, func() bool { return slices.Equal(ids(), []actor.ID{100}) }, waitFor, 10*time.Millisecond)

	// What a sweeper that took node 1 for dead does: delete its entries.
	js := jsOf(t, url)
	presence, err := js.KeyValue(ctx, "SHOAL_reassert_presence")
	require.NoError(t, err)
	names, err := js.KeyValue(ctx, "SHOAL_reassert_names")
	require.NoError(t, err)
	keys, err := presence.ListKeys(ctx)
	require.NoError(t, err)
	for k := range keys.Keys() {
		require.NoError(t, presence.Delete(ctx, k))
	}
	for _, name := range []string{"one's", "stolen"} {
		require.NoError(t, names.Delete(ctx, base64.RawURLEncoding.EncodeToString([]byte(name))))
	}
	// And someone else takes one of the names meanwhile (a ghost of node 9).
	v := binary.LittleEndian.AppendUint64(nil, 900)
	_, err = names.Create(ctx, base64.RawURLEncoding.EncodeToString([]byte("stolen")), append(binary.AppendUvarint(v, 9), "other"...))
	require.NoError(t, err)
	require.Empty(t, ids())

	require.Eventually(t, func() bool { return slices.Equal(ids(), []actor.ID{100}) }, waitFor, 10*time.Millisecond, "its member shows again")
	require.Eventually(t, func() bool {
		id, err := n1.lookup(t, "one's")
		return err == nil && id == 11
	}, waitFor, 10*time.Millisecond, "its name is its again")
	id, err := n1.lookup(t, "stolen")
	require.NoError(t, err)
	require.Equal(t, actor.ID(900), id, "a name taken meanwhile stays the taker's")
	require.Eventually(t, func() bool {
		for {
			select {
			case err := <-n1.errs:
				if strings.Contains(err.Error(), `name "stolen" was released`) {
					return true
				}
			default:
				return false
			}
		}
	}, waitFor, 10*time.Millisecond, "and the loss is reported")
}
