package actor_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/shoalrt/shoal/actor"
)

// do is a function a puppet actor runs on its shard: the test's hand
// inside Receive.
type do func(*actor.Context)

// got is one message a puppet handled, with its publication if it was one.
type got struct {
	msg  any
	pub  actor.Publication
	isPb bool
	from actor.ID
}

// puppet runs every do it is sent and reports everything else it handles
// on ch (never blocking the shard: a full channel is a test failure
// reported by the overflow flag).
func puppet(ch chan got) actor.Factory {
	return func() actor.Actor {
		return actor.ReceiveFunc(func(c *actor.Context) {
			switch m := c.Message().(type) {
			case do:
				m(c)
			case actor.Started:
			default:
				p, ok := c.Publication()
				select {
				case ch <- got{msg: m, pub: p, isPb: ok, from: c.Sender()}:
				default:
					panic("puppet: report channel full")
				}
			}
		})
	}
}

// storeSystem starts a system with group settings, and stops it (checking
// for leaked goroutines) when the test ends.
func storeSystem(t *testing.T, settings []actor.GroupSettings, opts ...actor.Option) *actor.System {
	t.Helper()
	before := goleak.IgnoreCurrent()
	sys, err := actor.NewSystem(append([]actor.Option{actor.Groups(settings...), actor.Shards(3)}, opts...)...)
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := sys.Stop(ctx); !errors.Is(err, actor.ErrStopped) {
			require.NoError(t, err)
		}
		goleak.VerifyNone(t, before)
	})
	return sys
}

// spawnPuppet spawns a puppet reporting on a fresh channel.
func spawnPuppet(t *testing.T, sys *actor.System) (actor.ID, chan got) {
	t.Helper()
	ch := make(chan got, 1<<16)
	id, err := sys.Spawn(puppet(ch))
	require.NoError(t, err)
	return id, ch
}

// on runs f on the puppet's shard and returns its error.
func on(t *testing.T, sys *actor.System, id actor.ID, f func(*actor.Context) error) error {
	t.Helper()
	errc := make(chan error, 1)
	require.NoError(t, sys.Send(id, do(func(c *actor.Context) { errc <- f(c) })))
	return recv(t, errc)
}

// next returns the next report of type T, skipping none: anything else
// first is a failure.
func next[T any](t *testing.T, ch chan got) (T, got) {
	t.Helper()
	g := recv(t, ch)
	m, ok := g.msg.(T)
	require.True(t, ok, "got %T %v, want %T", g.msg, g.msg, *new(T))
	return m, g
}

func TestHistoryPositionsAckAndDedup(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "room:*", History: 100}})
	m, mc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Join("room:a"); return nil }))
	p, pc := spawnPuppet(t, sys)

	// Acknowledged publications get increasing positions of one epoch; the
	// member sees each with its position and publisher.
	var ids []actor.RequestID
	for i := range 3 {
		require.NoError(t, on(t, sys, p, func(c *actor.Context) error {
			id, err := c.PublishAck("room:a", fmt.Sprint("k", i), fmt.Sprint("line ", i))
			ids = append(ids, id)
			return err
		}))
	}
	var pos []actor.Position
	for i := range 3 {
		r, _ := next[actor.Response](t, pc)
		require.Equal(t, ids[i], r.ID)
		require.NoError(t, r.Err)
		pb := r.Msg.(actor.Published)
		require.False(t, pb.Duplicate)
		require.Equal(t, "room:a", pb.Group)
		pos = append(pos, pb.Position)
		s, g := next[string](t, mc)
		require.Equal(t, fmt.Sprint("line ", i), s)
		require.True(t, g.isPb)
		require.Equal(t, pb.Position, g.pub.Position)
		require.Equal(t, "room:a", g.pub.Group)
		require.Equal(t, p, g.from)
	}
	require.NotZero(t, pos[0].Epoch)
	require.Equal(t, pos[0].Epoch, pos[2].Epoch)
	require.Less(t, pos[0].Seq, pos[1].Seq)
	require.Less(t, pos[1].Seq, pos[2].Seq)

	// The same key and message again: nothing new, the first position.
	pb, err := sys.PublishAck(context.Background(), "room:a", "k1", "line 1")
	require.NoError(t, err)
	require.True(t, pb.Duplicate)
	require.Equal(t, pos[1], pb.Position)
	// The same key, another message: refused, nothing stored.
	_, err = sys.PublishAck(context.Background(), "room:a", "k1", "another line")
	require.ErrorIs(t, err, actor.ErrKeyReused)
	// A key is per group: the same key in another group is new.
	pb, err = sys.PublishAck(context.Background(), "room:b", "k1", "line 1")
	require.NoError(t, err)
	require.False(t, pb.Duplicate)

	hist, err := sys.History(context.Background(), "room:a", 10)
	require.NoError(t, err)
	require.Len(t, hist.Publications, 3, "a duplicate or refused publication is not stored")
	require.Equal(t, pos[0], hist.Oldest)
	require.Equal(t, pos[2], hist.Latest)
	select {
	case g := <-mc:
		t.Fatalf("the member got %v from a duplicate or refused publication", g.msg)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestHistoryLastN(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "log", History: 5, MaxReplay: 4}})
	for i := range 8 {
		_, err := sys.PublishAck(context.Background(), "log", fmt.Sprint(i), i)
		require.NoError(t, err)
	}
	h, err := sys.History(context.Background(), "log", 3)
	require.NoError(t, err)
	require.Len(t, h.Publications, 3)
	for i, p := range h.Publications {
		require.Equal(t, 5+i, p.Msg)
		require.Equal(t, "log", p.Group)
	}
	require.Equal(t, uint64(4), h.Oldest.Seq, "History 5 keeps positions 4 to 8")
	require.Equal(t, uint64(8), h.Latest.Seq)
	_, err = sys.History(context.Background(), "log", 5)
	require.ErrorIs(t, err, actor.ErrHistoryTooLarge)
	_, err = sys.History(context.Background(), "log", 0)
	require.ErrorIs(t, err, actor.ErrHistoryTooLarge)
	_, err = sys.History(context.Background(), "other", 1)
	require.ErrorIs(t, err, actor.ErrNoHistory)

	// From an actor: the answer is a Response.
	a, ac := spawnPuppet(t, sys)
	var id actor.RequestID
	require.NoError(t, on(t, sys, a, func(c *actor.Context) (err error) { id, err = c.History("log", 2); return }))
	r, _ := next[actor.Response](t, ac)
	require.Equal(t, id, r.ID)
	require.Len(t, r.Msg.(actor.History).Publications, 2)
}

// TestRecoverySeam recovers members while publications keep coming from
// actors on every shard and from outside: each member must get every
// publication after its position exactly once, in order, with Recovered
// between the replayed ones and the live ones.
func TestRecoverySeam(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "room:*", History: 100_000, MaxReplay: 100_000}})
	const group = "room:seam"
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	var pubs []actor.ID
	for range 3 {
		id, _ := spawnPuppet(t, sys)
		pubs = append(pubs, id)
	}
	for round := range rounds {
		// Publishers: three actors in bursts and one goroutine outside.
		var wg sync.WaitGroup
		const each = 150
		for i, p := range pubs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < each; k += 10 {
					sys.Send(p, do(func(c *actor.Context) {
						for j := range 10 {
							c.Publish(group, fmt.Sprintf("a%d r%d %d", i, round, k+j))
						}
					}))
					time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				require.NoError(t, sys.Publish(group, fmt.Sprintf("out r%d %d", round, k)))
				if k%16 == 0 {
					time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
				}
			}
		}()
		// A member joins at a random moment, from a position a little
		// behind (or zero: everything held).
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		h, err := sys.History(context.Background(), group, 1)
		var since actor.Position
		if err == nil && len(h.Publications) > 0 && round%5 != 0 {
			since = h.Publications[0].Position
			since.Seq -= min(since.Seq, uint64(rand.IntN(50)))
		}
		m, mc := spawnPuppet(t, sys)
		require.NoError(t, on(t, sys, m, func(c *actor.Context) error { return c.JoinSince(group, since) }))
		wg.Wait()
		for _, p := range pubs { // their last bursts ran (and reached the store, which answers in order)
			require.NoError(t, on(t, sys, p, func(*actor.Context) error { return nil }))
		}
		end, err := sys.History(context.Background(), group, 1)
		require.NoError(t, err)
		last := end.Latest.Seq

		want := since.Seq + 1
		if since.IsZero() {
			want = 1
		}
		seam := false
		for want <= last {
			g := recv(t, mc)
			if r, ok := g.msg.(actor.Recovered); ok {
				require.False(t, seam, "round %d: two Recovered", round)
				require.NoError(t, r.Err, "round %d", round)
				require.Equal(t, want-1, r.Last.Seq, "round %d: Recovered at the wrong place", round)
				seam = true
				continue
			}
			require.True(t, g.isPb, "round %d: %T", round, g.msg)
			require.Equal(t, want, g.pub.Position.Seq, "round %d: a gap or a duplicate (seam passed: %v)", round, seam)
			want++
		}
		if !seam {
			r, _ := next[actor.Recovered](t, mc) // nothing live came after the replay
			require.NoError(t, r.Err)
			require.Equal(t, last, r.Last.Seq)
		}
		select {
		case g := <-mc:
			t.Fatalf("round %d: extra %v at %v", round, g.msg, g.pub.Position)
		default:
		}
		require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Stop(); return nil }))
	}
}

func TestRecoveryErrorsLeaveTheActorOut(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{
		{Pattern: "short", History: 10, MaxReplay: 5},
		{Pattern: "plain:*", Presence: true},
	})
	var pos []actor.Position
	for i := range 30 {
		p, err := sys.PublishAck(context.Background(), "short", fmt.Sprint(i), i)
		require.NoError(t, err)
		pos = append(pos, p.Position)
	}
	latest := pos[29]
	m, mc := spawnPuppet(t, sys)
	for _, tc := range []struct {
		since actor.Position
		want  error
	}{
		{pos[5], actor.ErrHistoryLost},
		{actor.Position{Epoch: latest.Epoch + 1, Seq: 25}, actor.ErrOtherEpoch},
		{actor.Position{Seq: 25}, actor.ErrOtherEpoch},
		{actor.Position{Epoch: latest.Epoch, Seq: latest.Seq + 1}, actor.ErrFuturePosition},
		{pos[22], actor.ErrTooFarBehind},
	} {
		require.NoError(t, on(t, sys, m, func(c *actor.Context) error { return c.JoinSince("short", tc.since) }))
		r, _ := next[actor.Recovered](t, mc)
		require.ErrorIs(t, r.Err, tc.want, "since %v", tc.since)
		require.Equal(t, pos[20], r.Oldest, "what history still holds")
		require.Equal(t, latest, r.Latest)
		require.Empty(t, r.Publications)
	}
	// Not a member after any of them: a new publication does not reach it.
	_, err := sys.PublishAck(context.Background(), "short", "new", "new")
	require.NoError(t, err)
	// And it may join from what is held.
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error {
		return c.JoinWith("short", actor.JoinOptions{Recover: true, Last: 3})
	}))
	for i := 28; i <= 30; i++ {
		g := recv(t, mc)
		require.True(t, g.isPb, "%v", g.msg)
		require.Equal(t, latest.Seq-29+uint64(i), g.pub.Position.Seq)
	}
	r, _ := next[actor.Recovered](t, mc)
	require.NoError(t, r.Err)
	require.Equal(t, 3, r.Count)
	require.ErrorIs(t, on(t, sys, m, func(c *actor.Context) error { return c.JoinSince("short", actor.Position{}) }), actor.ErrJoined)
	// Bad input, refused at once.
	require.ErrorIs(t, on(t, sys, m, func(c *actor.Context) error { return c.JoinSince("plain:x", actor.Position{}) }), actor.ErrNoHistory)
	require.ErrorIs(t, on(t, sys, m, func(c *actor.Context) error { return c.JoinSince("nothing", actor.Position{}) }), actor.ErrNoHistory)
	require.ErrorIs(t, on(t, sys, m, func(c *actor.Context) error {
		return c.JoinWith("short", actor.JoinOptions{Recover: true, Last: 6})
	}), actor.ErrHistoryTooLarge)
}

func TestStoreBadInput(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "g:*", History: 10}})
	ctx := context.Background()
	_, err := sys.PublishAck(ctx, "g:a", "", "x")
	require.ErrorIs(t, err, actor.ErrBadKey)
	_, err = sys.PublishAck(ctx, "g:a", "bad\nkey", "x")
	require.ErrorIs(t, err, actor.ErrBadKey)
	_, err = sys.PublishAck(ctx, "g:a", string(make([]byte, actor.MaxIdempotencyKey+1)), "x")
	require.ErrorIs(t, err, actor.ErrBadKey)
	_, err = sys.PublishAck(ctx, "g:\x00nul", "k", "x")
	require.ErrorIs(t, err, actor.ErrBadGroup)
	_, err = sys.PublishAck(ctx, "g:\xff", "k", "x")
	require.ErrorIs(t, err, actor.ErrBadGroup)
	require.ErrorIs(t, sys.Broadcast("g:a", "x"), actor.ErrBroadcastHistory)
	_, err = sys.PublishAck(ctx, "plain", "k", "x")
	require.ErrorIs(t, err, actor.ErrNoHistory)
	_, err = actor.ParsePosition("12")
	require.ErrorIs(t, err, actor.ErrBadPosition)
	p, err := actor.ParsePosition("12:34")
	require.NoError(t, err)
	require.Equal(t, actor.Position{Epoch: 12, Seq: 34}, p)
	require.Equal(t, "12:34", p.String())
	// Names with any UTF-8 work; nothing above broke the store.
	pb, err := sys.PublishAck(ctx, "g:😀 dots.and*stars>", "k", "x")
	require.NoError(t, err)
	require.Equal(t, uint64(1), pb.Position.Seq)

	// From inside Receive, the blocking forms refuse at once.
	a, _ := spawnPuppet(t, sys)
	require.ErrorIs(t, on(t, sys, a, func(c *actor.Context) error {
		_, err := c.System().PublishAck(ctx, "g:a", "k", "x")
		return err
	}), actor.ErrOnShard)

	for _, bad := range [][]actor.GroupSettings{
		{{Pattern: ""}}, {{Pattern: "*"}}, {{Pattern: "a*b*"}}, {{Pattern: "x", History: -1}},
		{{Pattern: "x"}, {Pattern: "x"}}, {{Pattern: "x", MaxReplay: actor.MaxMaxReplay + 1}},
		{{Pattern: "x", HistoryAge: time.Millisecond}}, {{Pattern: "a\nb"}},
	} {
		_, err := actor.NewSystem(actor.Groups(bad...))
		require.ErrorIs(t, err, actor.ErrBadOption, "%+v", bad)
	}
}

func TestPresenceAndWatch(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "lobby", Presence: true}})
	w, wc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, w, func(c *actor.Context) error { return c.WatchPresence("lobby") }))
	var ids []actor.ID
	for i := range 4 {
		id, _ := spawnPuppet(t, sys)
		ids = append(ids, id)
		require.NoError(t, on(t, sys, id, func(c *actor.Context) error {
			return c.JoinWith("lobby", actor.JoinOptions{Info: fmt.Sprint("user", i)})
		}))
		ev, _ := next[actor.Presence](t, wc)
		require.Equal(t, actor.Presence{Group: "lobby", Member: actor.Member{ID: id, Info: fmt.Sprint("user", i)}, Joined: true}, ev)
	}
	ms, err := sys.Members(context.Background(), "lobby")
	require.NoError(t, err)
	require.Len(t, ms, 4)
	// Leave, stop, and a panic (the restarted incarnation is no member).
	require.NoError(t, on(t, sys, ids[0], func(c *actor.Context) error { c.Leave("lobby"); return nil }))
	ev, _ := next[actor.Presence](t, wc)
	require.Equal(t, actor.Presence{Group: "lobby", Member: actor.Member{ID: ids[0], Info: "user0"}}, ev)
	require.NoError(t, on(t, sys, ids[1], func(c *actor.Context) error { c.Stop(); return nil }))
	ev, _ = next[actor.Presence](t, wc)
	require.Equal(t, ids[1], ev.Member.ID)
	require.False(t, ev.Joined)
	require.NoError(t, sys.Send(ids[2], do(func(c *actor.Context) { panic("boom") })))
	ev, _ = next[actor.Presence](t, wc)
	require.Equal(t, ids[2], ev.Member.ID)
	require.False(t, ev.Joined)
	ms, err = sys.Members(context.Background(), "lobby")
	require.NoError(t, err)
	require.Equal(t, []actor.Member{{ID: ids[3], Info: "user3"}}, ms)
	// Members from an actor; errors for a group without presence.
	var rid actor.RequestID
	require.NoError(t, on(t, sys, w, func(c *actor.Context) (err error) { rid, err = c.Members("lobby"); return }))
	r, _ := next[actor.Response](t, wc)
	require.Equal(t, rid, r.ID)
	require.Len(t, r.Msg.(actor.Members).Members, 1)
	require.ErrorIs(t, on(t, sys, w, func(c *actor.Context) error { return c.WatchPresence("nothing") }), actor.ErrNoPresence)
	// Unwatched: no more events.
	require.NoError(t, on(t, sys, w, func(c *actor.Context) error { c.UnwatchPresence("lobby"); return nil }))
	require.NoError(t, on(t, sys, ids[3], func(c *actor.Context) error { c.Leave("lobby"); return nil }))
	ms, err = sys.Members(context.Background(), "lobby")
	require.NoError(t, err)
	require.Empty(t, ms)
	select {
	case g := <-wc:
		t.Fatalf("an unwatched group reported %v", g.msg)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestNames(t *testing.T) {
	sys := storeSystem(t, nil)
	a, ac := spawnPuppet(t, sys)
	b, bc := spawnPuppet(t, sys)
	register := func(id actor.ID, ch chan got, name string) error {
		var rid actor.RequestID
		require.NoError(t, on(t, sys, id, func(c *actor.Context) (err error) { rid, err = c.RegisterName(name); return }))
		r, _ := next[actor.Response](t, ch)
		require.Equal(t, rid, r.ID)
		return r.Err
	}
	require.NoError(t, register(a, ac, "alice"))
	require.NoError(t, register(a, ac, "alice"), "again by its holder")
	require.ErrorIs(t, register(b, bc, "alice"), actor.ErrNameTaken)
	who, err := sys.LookupName(context.Background(), "alice")
	require.NoError(t, err)
	require.Equal(t, a, who)
	_, err = sys.LookupName(context.Background(), "bob")
	require.ErrorIs(t, err, actor.ErrNoName)
	require.ErrorIs(t, on(t, sys, b, func(c *actor.Context) error { return c.UnregisterName("alice") }), actor.ErrNoName)
	require.ErrorIs(t, on(t, sys, b, func(c *actor.Context) error { _, err := c.RegisterName(""); return err }), actor.ErrBadName)
	// Released when its holder stops.
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { c.Stop(); return nil }))
	require.Eventually(t, func() bool {
		_, err := sys.LookupName(context.Background(), "alice")
		return errors.Is(err, actor.ErrNoName)
	}, waitFor, time.Millisecond)
	require.NoError(t, register(b, bc, "alice"))
	require.NoError(t, on(t, sys, b, func(c *actor.Context) error { return c.UnregisterName("alice") }))
	_, err = sys.LookupName(context.Background(), "alice")
	require.ErrorIs(t, err, actor.ErrNoName)
}
