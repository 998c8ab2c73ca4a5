package actor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
)

// heldStore is a GroupStore whose live feed and read answers the test
// drives by hand, so the seam of a recovery can be put in the unluckiest
// orders: live publications before, around and after the answer, answers
// that overlap them, answers that never come. It is attached through a
// Remote that carries nothing else.
type heldStore struct {
	mu    sync.Mutex
	sink  actor.GroupSink
	reads chan heldRead
}

type heldRead struct {
	group string
	since actor.Position
	reply func(actor.History, error)
}

func (s *heldStore) Start(k actor.GroupSink) error {
	s.mu.Lock()
	s.sink = k
	s.mu.Unlock()
	return nil
}
func (s *heldStore) Stop(context.Context) error { return nil }
func (s *heldStore) Publish(*actor.Publication, string, func(actor.Published, error)) error {
	return nil
}
func (s *heldStore) Read(group string, _ bool, since actor.Position, _, _ int, reply func(actor.History, error)) {
	s.reads <- heldRead{group, since, reply}
}
func (s *heldStore) Present(string, actor.Member, bool)                  {}
func (s *heldStore) Members(_ string, reply func([]actor.Member, error)) { reply(nil, nil) }
func (s *heldStore) Watch(string, bool)                                  {}
func (s *heldStore) Register(_ string, _ actor.ID, reply func(error))    { reply(nil) }
func (s *heldStore) Unregister(string, actor.ID)                         {}
func (s *heldStore) Lookup(_ string, reply func(actor.ID, error))        { reply(0, actor.ErrNoName) }

// live hands publication seq of group to the members, as a store's feed.
func (s *heldStore) live(t *testing.T, group string, seqs ...uint64) {
	t.Helper()
	for _, q := range seqs {
		require.NoError(t, s.sink.Deliver(&actor.Publication{Group: group, Position: actor.Position{Epoch: 7, Seq: q}, Msg: fmt.Sprint("p", q)}))
	}
}

// answer builds a read answer with publications from..to.
func answer(group string, from, to uint64) actor.History {
	h := actor.History{Group: group, Latest: actor.Position{Epoch: 7, Seq: to}}
	for q := from; q <= to; q++ {
		h.Publications = append(h.Publications, actor.Publication{Group: group, Position: actor.Position{Epoch: 7, Seq: q}, Msg: fmt.Sprint("p", q)})
	}
	return h
}

// heldRemote is a Remote that only carries the held store.
type heldRemote struct{ store *heldStore }

func (r heldRemote) Start(*actor.Local) error     { return nil }
func (r heldRemote) Stop(context.Context) error   { return nil }
func (r heldRemote) Send(*actor.Envelope) error   { return nil }
func (r heldRemote) Interest(string, bool)        {}
func (r heldRemote) GroupStore() actor.GroupStore { return r.store }

func heldSystem(t *testing.T, maxReplay int) (*actor.System, *heldStore) {
	st := &heldStore{reads: make(chan heldRead, 16)}
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "g", History: 1000, MaxReplay: maxReplay}}, actor.Cluster(heldRemote{st}))
	return sys, st
}

// seqsUntilRecovered reads n publications and a Recovered, in the order
// they came, as "p<seq>" and "R<last>".
func seqsUntil(t *testing.T, ch chan got, n int) []string {
	t.Helper()
	var out []string
	for range n {
		g := recv(t, ch)
		switch m := g.msg.(type) {
		case actor.Recovered:
			require.NoError(t, m.Err)
			out = append(out, fmt.Sprint("R", m.Last.Seq))
		case string:
			require.True(t, g.isPb)
			require.Equal(t, fmt.Sprint("p", g.pub.Position.Seq), m)
			out = append(out, m)
		default:
			t.Fatalf("got %T %v", m, m)
		}
	}
	select {
	case g := <-ch:
		t.Fatalf("and then %v", g.msg)
	case <-time.After(20 * time.Millisecond):
	}
	return out
}

func TestSeamLiveBeforeAroundAndAfterTheAnswer(t *testing.T) {
	sys, st := heldSystem(t, 100)
	m, mc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error {
		return c.JoinSince("g", actor.Position{Epoch: 7, Seq: 3})
	}))
	rd := recv(t, st.reads)
	require.Equal(t, actor.Position{Epoch: 7, Seq: 3}, rd.since)
	// Live 4..9 arrive before the answer (the feed is ahead of the read),
	// the answer covers 4..7, then live 10, 11.
	st.live(t, "g", 4, 5, 6, 7, 8, 9)
	rd.reply(answer("g", 4, 7), nil)
	st.live(t, "g", 10, 11)
	require.Equal(t, []string{"p4", "p5", "p6", "p7", "R7", "p8", "p9", "p10", "p11"}, seqsUntil(t, mc, 9))

	// The feed behind the read: the answer covers 12..15, the live ones
	// 12..15 come after it (duplicates, dropped), then 16.
	n, nc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, n, func(c *actor.Context) error {
		return c.JoinSince("g", actor.Position{Epoch: 7, Seq: 11})
	}))
	rd = recv(t, st.reads)
	rd.reply(answer("g", 12, 15), nil)
	time.Sleep(10 * time.Millisecond) // the answer is handled first
	st.live(t, "g", 12, 13, 14, 15, 16)
	require.Equal(t, []string{"p12", "p13", "p14", "p15", "R15", "p16"}, seqsUntil(t, nc, 6))
	require.Equal(t, []string{"p12", "p13", "p14", "p15", "p16"}, seqsUntil(t, mc, 5), "the first member, live, saw each once")
}

func TestSeamOverflowAndAnswersForTheGone(t *testing.T) {
	sys, st := heldSystem(t, 2)
	m, mc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error {
		return c.JoinSince("g", actor.Position{Epoch: 7, Seq: 1})
	}))
	rd := recv(t, st.reads)
	// A read that never answers while the feed runs on: past MaxReplay +
	// 1024 buffered, the recovery is given up and the actor is out.
	for q := uint64(2); q < 2+2+1024+1; q++ {
		st.live(t, "g", q)
	}
	r, _ := next[actor.Recovered](t, mc)
	require.ErrorIs(t, r.Err, actor.ErrRecoveryOverflow)
	st.live(t, "g", 5000)
	rd.reply(answer("g", 2, 3), nil) // a late answer for a recovery given up: nothing
	select {
	case g := <-mc:
		t.Fatalf("after the overflow: %v", g.msg)
	case <-time.After(30 * time.Millisecond):
	}

	// A recovery whose actor panics (with the answer queued behind the
	// panic): the restarted incarnation is no member and gets nothing of
	// it.
	a, ac := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error {
		return c.JoinSince("g", actor.Position{Epoch: 7, Seq: 1})
	}))
	rd = recv(t, st.reads)
	require.NoError(t, sys.Send(a, do(func(c *actor.Context) { panic("in the middle") })))
	rd.reply(answer("g", 2, 3), nil)
	st.live(t, "g", 5001)
	select {
	case g := <-ac:
		t.Fatalf("the restarted incarnation got %v", g.msg)
	case <-time.After(30 * time.Millisecond):
	}

	// A member that leaves inside the replay (from the Receive of a
	// replayed publication) gets nothing more of it, not even Recovered.
	bc := make(chan got, 16)
	b, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(c *actor.Context) {
			switch m := c.Message().(type) {
			case do:
				m(c)
			case string:
				bc <- got{msg: m}
				if m == "p2" {
					c.Leave("g")
				}
			case actor.Recovered:
				bc <- got{msg: m}
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, on(t, sys, b, func(c *actor.Context) error {
		return c.JoinSince("g", actor.Position{Epoch: 7, Seq: 1})
	}))
	rd = recv(t, st.reads)
	rd.reply(answer("g", 2, 3), nil)
	require.Equal(t, "p2", recv(t, bc).msg)
	st.live(t, "g", 5002)
	select {
	case g := <-bc:
		t.Fatalf("after Leave inside the replay: %v", g.msg)
	case <-time.After(30 * time.Millisecond):
	}
}
