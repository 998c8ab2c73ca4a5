package actor_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/stretchr/testify/require"
)

// watchProbe is an actor that watches nodes and reports what it hears on a
// channel: the list WatchNodes returned ([]int), then each NodeUp, NodeDown
// and string it gets. The string "unwatch" makes it stop watching, "stop"
// makes it stop.
func watchProbe(got chan<- any) actor.Factory {
	return func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				got <- ctx.WatchNodes()
			case actor.NodeUp, actor.NodeDown:
				got <- m
			case string:
				switch m {
				case "unwatch":
					ctx.UnwatchNodes()
				case "stop":
					ctx.Close()
				}
				got <- m
			}
		})
	}
}

func nextOf(t *testing.T, got <-chan any) any {
	t.Helper()
	select {
	case m := <-got:
		return m
	case <-time.After(waitFor):
		t.Fatal("the watcher heard nothing")
	}
	return nil
}

// A watcher learns the nodes up when it starts watching and then every
// change once: repeats, its own node and numbers out of range change
// nothing; UnwatchNodes and stopping end the watch (no dead letter for a
// watcher that stopped).
func TestWatchNodes(t *testing.T) {
	f := newFakeRemote()
	var deadNodeLetters atomic.Int32
	sys := startBare(t, actor.Node(1), actor.Shards(1), actor.Cluster(f), actor.OnDeadLetter(func(d actor.DeadLetter) {
		switch d.Message.(type) {
		case actor.NodeUp, actor.NodeDown:
			deadNodeLetters.Add(1)
		}
	}))
	f.mu.Lock()
	local := f.local
	f.mu.Unlock()
	gone := errors.New("gone")

	require.Empty(t, sys.Nodes())
	require.NoError(t, local.NodeUp(2))
	require.NoError(t, local.NodeUp(2))
	require.NoError(t, local.NodeUp(1)) // its own node
	require.NoError(t, local.NodeUp(-1))
	require.NoError(t, local.NodeDown(7, gone)) // never up
	require.Equal(t, []int{2}, sys.Nodes())

	got := make(chan any, 64)
	w, err := sys.Spawn(watchProbe(got))
	require.NoError(t, err)
	require.Equal(t, []int{2}, nextOf(t, got))
	other := make(chan any, 64)
	w2, err := sys.Spawn(watchProbe(other))
	require.NoError(t, err)
	require.Equal(t, []int{2}, nextOf(t, other))

	require.NoError(t, local.NodeUp(3))
	require.NoError(t, local.NodeUp(3))
	require.NoError(t, local.NodeDown(2, gone))
	require.NoError(t, local.NodeDown(2, gone))
	require.Equal(t, actor.NodeUp{Node: 3}, nextOf(t, got))
	require.Equal(t, actor.NodeDown{Node: 2, Reason: gone}, nextOf(t, got))
	require.Equal(t, actor.NodeUp{Node: 3}, nextOf(t, other))
	require.Equal(t, actor.NodeDown{Node: 2, Reason: gone}, nextOf(t, other))
	require.Equal(t, []int{3}, sys.Nodes())

	// Unwatched, w hears nothing more: the marker sent after the event
	// comes through the same inbox, so the event would have come first.
	require.NoError(t, sys.Send(w, "unwatch"))
	require.Equal(t, "unwatch", nextOf(t, got))
	require.NoError(t, sys.Send(w2, "stop"))
	require.Equal(t, "stop", nextOf(t, other))
	// The close ends the watch when it completes, a moment after Receive
	// returns: a change reported before that may still be sent to w2 (and
	// be its dead letter, as documented). A round trip through the shard
	// (both actors live on its one shard) waits for the close to complete.
	require.NoError(t, sys.Send(w, "sync"))
	require.Equal(t, "sync", nextOf(t, got))
	require.NoError(t, local.NodeUp(4))
	require.NoError(t, sys.Send(w, "marker"))
	require.Equal(t, "marker", nextOf(t, got))
	require.Zero(t, deadNodeLetters.Load(), "a stopped watcher is no longer sent node events")
	require.Equal(t, []int{3, 4}, sys.Nodes())
}

// Without a cluster there are no other nodes to watch.
func TestWatchNodesStandalone(t *testing.T) {
	sys := startBare(t)
	got := make(chan any, 4)
	_, err := sys.Spawn(watchProbe(got))
	require.NoError(t, err)
	require.Nil(t, nextOf(t, got))
	require.Nil(t, sys.Nodes())
}

// While nodes come and go, actors start watching: for each, the list it
// got plus the events that followed give the set of nodes up at the end,
// and every event is a change of that actor's view (no repeat, no gap).
func TestWatchNodesWhileNodesChange(t *testing.T) {
	f := newFakeRemote()
	sys := startBare(t, actor.Node(1), actor.Shards(2), actor.Cluster(f))
	f.mu.Lock()
	local := f.local
	f.mu.Unlock()

	const watchers = 40
	type view struct {
		list   []int
		events []any
	}
	views := make(chan view, watchers)
	factory := func() actor.Actor {
		var v view
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Started:
				v.list = ctx.WatchNodes()
			case actor.NodeUp, actor.NodeDown:
				v.events = append(v.events, m)
			case string:
				views <- v
			}
		})
	}
	done := make(chan struct{})
	go func() { // the Remote: nodes 2 to 6 come and go
		defer close(done)
		r := rand.New(rand.NewPCG(1, 2))
		up := map[int]bool{}
		for range 4000 {
			n := 2 + r.IntN(5)
			var err error
			if up[n] {
				err = local.NodeDown(n, errors.New("down"))
			} else {
				err = local.NodeUp(n)
			}
			if err != nil {
				t.Error(err)
				return
			}
			up[n] = !up[n]
		}
	}()
	var ids []actor.ID
	for range watchers {
		id, err := sys.Spawn(factory)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	<-done
	final := sys.Nodes()
	for _, id := range ids {
		require.NoError(t, sys.Send(id, "report"))
	}
	for range watchers {
		var v view
		select {
		case v = <-views:
		case <-time.After(waitFor):
			t.Fatal("a watcher did not report")
		}
		set := map[int]bool{}
		for _, n := range v.list {
			set[n] = true
		}
		for i, e := range v.events {
			switch e := e.(type) {
			case actor.NodeUp:
				require.False(t, set[e.Node], "event %d: NodeUp for node %d, already up", i, e.Node)
				set[e.Node] = true
			case actor.NodeDown:
				require.True(t, set[e.Node], "event %d: NodeDown for node %d, not up", i, e.Node)
				delete(set, e.Node)
			}
		}
		have := []int{}
		for n := range set {
			have = append(have, n)
		}
		slices.Sort(have)
		require.Equal(t, final, have)
	}
}
