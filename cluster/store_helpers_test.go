package cluster_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
)

// jsServer runs a NATS server with JetStream (or without) on a random
// loopback port, shut down when the test ends, and returns its URL.
func jsServer(t *testing.T, jetStream bool) string {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true, JetStream: jetStream}
	if jetStream {
		opts.StoreDir = t.TempDir()
	}
	s, err := server.NewServer(opts)
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second), "the NATS server did not start")
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s.ClientURL()
}

// sink is a GroupSink that records: every Deliver and Presence goes to a
// channel (never failing the test: the store's goroutines call it).
// Deliver waits while the test holds hold (Lock).
type sink struct {
	settings []actor.GroupSettings
	node     int
	pubs     chan actor.Publication
	presence chan actor.Presence
	hold     sync.RWMutex
}

func newSink(node int, settings ...actor.GroupSettings) *sink {
	for i := range settings { // the defaults the system fills in
		if settings[i].DedupWindow == 0 {
			settings[i].DedupWindow = actor.DefaultDedupWindow
		}
		if settings[i].MaxReplay == 0 {
			settings[i].MaxReplay = actor.DefaultMaxReplay
		}
	}
	return &sink{settings: settings, node: node, pubs: make(chan actor.Publication, 1<<15), presence: make(chan actor.Presence, 1024)}
}

func (k *sink) Settings() []actor.GroupSettings { return k.settings }

func (k *sink) Match(group string) (actor.GroupSettings, bool) {
	best, found := actor.GroupSettings{}, false
	for _, g := range k.settings {
		name, prefix := strings.CutSuffix(g.Pattern, "*")
		switch {
		case !prefix && name == group:
			return g, true
		case prefix && strings.HasPrefix(group, name) && (!found || len(g.Pattern) > len(best.Pattern)):
			best, found = g, true
		}
	}
	return best, found
}

func (k *sink) Node() int { return k.node }

func (k *sink) Deliver(p *actor.Publication) error {
	k.hold.RLock()
	k.hold.RUnlock()
	k.pubs <- *p
	return nil
}

func (k *sink) Presence(ev actor.Presence) error {
	k.presence <- ev
	return nil
}

// remoteOnly is a node without its GroupStore (it does not implement
// actor.GroupStorer): the test starts the store itself, with its sink.
type remoteOnly struct{ n *cluster.Node }

func (r remoteOnly) Start(l *actor.Local) error     { return r.n.Start(l) }
func (r remoteOnly) Stop(ctx context.Context) error { return r.n.Stop(ctx) }
func (r remoteOnly) Send(e *actor.Envelope) error   { return r.n.Send(e) }
func (r remoteOnly) Interest(group string, on bool) { r.n.Interest(group, on) }

// storeNode is a started system on node with its node, and the node's
// group store started with sink.
type storeNode struct {
	sys   *actor.System
	node  *cluster.Node
	store actor.GroupStore
	sink  *sink
	errs  chan error // what OnError saw (the first 4096)
	once  sync.Once
}

// startStore starts node number node of cluster name on url, and its
// store with settings; both stop when the test ends.
func startStore(t *testing.T, url, name string, node int, settings ...actor.GroupSettings) *storeNode {
	t.Helper()
	return startStoreWith(t, cluster.Config{Name: name, URL: url, Storage: cluster.MemoryStorage}, node, settings...)
}

// startStoreWith is startStore with cfg (its Messages, Heartbeat and
// OnError are the tests').
func startStoreWith(t *testing.T, cfg cluster.Config, node int, settings ...actor.GroupSettings) *storeNode {
	t.Helper()
	sn := &storeNode{sink: newSink(node, settings...), errs: make(chan error, 4096)}
	cfg.Messages, cfg.Heartbeat = []any{Chat{}}, 100*time.Millisecond
	cfg.OnError = func(err error) {
		select {
		case sn.errs <- err:
		default:
		}
		t.Log(err)
	}
	var err error
	sn.node, err = cluster.New(cfg)
	require.NoError(t, err)
	sn.sys, err = actor.NewSystem(actor.Node(node), actor.Shards(1), actor.Cluster(remoteOnly{sn.node}))
	require.NoError(t, err)
	require.NoError(t, sn.sys.Start())
	sn.store = sn.node.GroupStore()
	if err := sn.store.Start(sn.sink); err != nil {
		stop(t, sn.sys)
		require.NoError(t, err)
	}
	t.Cleanup(func() { sn.stop(t) })
	return sn
}

// stop stops the store, then the system (its goodbye: the others see it
// down).
func (sn *storeNode) stop(t *testing.T) {
	sn.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := sn.store.Stop(ctx); err != nil {
			t.Errorf("store stop: %v", err)
		}
		stop(t, sn.sys)
	})
}

// follow makes node have members of groups, as a join does (Interest), and
// waits for its live feed of each to begin (a recovery's Read waits for
// it): what is stored from then on reaches the sink.
func (sn *storeNode) follow(t *testing.T, groups ...string) {
	t.Helper()
	for _, g := range groups {
		sn.node.Interest(g, true)
		_, err := sn.read(t, g, true, actor.Position{}, 1, 0)
		require.NoError(t, err)
	}
}

// publish publishes msg to group with key and waits for the ack.
func (sn *storeNode) publish(t *testing.T, group string, msg any, key string) (actor.Published, error) {
	t.Helper()
	got := make(chan ackd, 1)
	err := sn.store.Publish(&actor.Publication{Group: group, From: 7, Msg: msg}, key, func(p actor.Published, err error) { got <- ackd{p, err} })
	require.NoError(t, err)
	select {
	case a := <-got:
		return a.p, a.err
	case <-time.After(waitFor):
		t.Fatalf("no ack for a publication to %q", group)
	}
	return actor.Published{}, nil
}

type ackd struct {
	p   actor.Published
	err error
}

// read is Read, waited for.
func (sn *storeNode) read(t *testing.T, group string, recover bool, since actor.Position, n, max int) (actor.History, error) {
	t.Helper()
	type answer struct {
		h   actor.History
		err error
	}
	got := make(chan answer, 1)
	sn.store.Read(group, recover, since, n, max, func(h actor.History, err error) { got <- answer{h, err} })
	select {
	case a := <-got:
		return a.h, a.err
	case <-time.After(waitFor):
		t.Fatalf("no answer to a read of %q", group)
	}
	return actor.History{}, nil
}

// members is Members, waited for.
func (sn *storeNode) members(t *testing.T, group string) []actor.Member {
	t.Helper()
	type answer struct {
		m   []actor.Member
		err error
	}
	got := make(chan answer, 1)
	sn.store.Members(group, func(m []actor.Member, err error) { got <- answer{m, err} })
	select {
	case a := <-got:
		require.NoError(t, a.err)
		return a.m
	case <-time.After(waitFor):
		t.Fatalf("no answer to Members(%q)", group)
	}
	return nil
}

// call waits for an error callback.
func call(t *testing.T, f func(reply func(error))) error {
	t.Helper()
	got := make(chan error, 1)
	f(func(err error) { got <- err })
	select {
	case err := <-got:
		return err
	case <-time.After(waitFor):
		t.Fatal("no answer")
	}
	return nil
}

// lookup is Lookup, waited for.
func (sn *storeNode) lookup(t *testing.T, name string) (actor.ID, error) {
	t.Helper()
	type answer struct {
		id  actor.ID
		err error
	}
	got := make(chan answer, 1)
	sn.store.Lookup(name, func(id actor.ID, err error) { got <- answer{id, err} })
	select {
	case a := <-got:
		return a.id, a.err
	case <-time.After(waitFor):
		t.Fatalf("no answer to Lookup(%q)", name)
	}
	return 0, nil
}

// nextPub returns the next publication the sink was given.
func nextPub(t *testing.T, k *sink) actor.Publication {
	t.Helper()
	select {
	case p := <-k.pubs:
		return p
	case <-time.After(waitFor):
		t.Fatalf("node %d: no publication delivered", k.node)
	}
	return actor.Publication{}
}

// nextPresence returns the next presence event the sink was given.
func nextPresence(t *testing.T, k *sink) actor.Presence {
	t.Helper()
	select {
	case p := <-k.presence:
		return p
	case <-time.After(waitFor):
		t.Fatalf("node %d: no presence event", k.node)
	}
	return actor.Presence{}
}

// jsOf connects to url's JetStream for the test's own look.
func jsOf(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}
