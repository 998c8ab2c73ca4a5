package actor_test

// Probes of the documented promises of groups with settings (guide section
// 17 and the godoc of package actor), written from the documentation only.
// Each test fails if a promise breaks; the doc sentence it checks is quoted
// above it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// quietLog keeps the expected panics of these tests out of the output.
func quietLog() actor.Option { return actor.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))) }

// probeCtx is a context bounded well below waitFor.
func probeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func probeAck(t *testing.T, sys *actor.System, group, key string, msg any) actor.Published {
	t.Helper()
	p, err := sys.PublishAck(probeCtx(t), group, key, msg)
	require.NoError(t, err)
	return p
}

// probeQuiet fails if anything reaches ch within d.
func probeQuiet(t *testing.T, ch chan got, d time.Duration, why string) {
	t.Helper()
	select {
	case g := <-ch:
		t.Fatalf("%s: got %T %v", why, g.msg, g.msg)
	case <-time.After(d):
	}
}

// probeDrain returns everything that reaches ch within d.
func probeDrain(ch chan got, d time.Duration) []got {
	var out []got
	deadline := time.After(d)
	for {
		select {
		case g := <-ch:
			out = append(out, g)
		case <-deadline:
			return out
		}
	}
}

func probeSpawn(t *testing.T, sys *actor.System, opts ...actor.SpawnOption) (actor.ID, chan got) {
	t.Helper()
	ch := make(chan got, 1<<16)
	id, err := sys.Spawn(puppet(ch), opts...)
	require.NoError(t, err)
	return id, ch
}

// probeReq runs a request-making call on the puppet and returns the
// Response that answers it.
func probeReq(t *testing.T, sys *actor.System, id actor.ID, ch chan got, f func(*actor.Context) (actor.RequestID, error)) actor.Response {
	t.Helper()
	var rid actor.RequestID
	require.NoError(t, on(t, sys, id, func(c *actor.Context) (err error) { rid, err = f(c); return }))
	r, _ := next[actor.Response](t, ch)
	require.Equal(t, rid, r.ID)
	return r
}

func probeMembers(t *testing.T, sys *actor.System, group string) []actor.Member {
	t.Helper()
	ms, err := sys.Members(probeCtx(t), group)
	require.NoError(t, err)
	return ms
}

// ErrOnShard: "returned at once by the System methods that wait ... when
// called on a shard's goroutine". System.PublishAck: "On a shard's goroutine
// it returns ErrOnShard."
func TestProbeOnShardRefusals(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 10, Presence: true}})
	probeAck(t, sys, "h", "k", "x")
	a, _ := spawnPuppet(t, sys)
	for _, tc := range []struct {
		name string
		f    func(*actor.System, context.Context) error
	}{
		{"PublishAck", func(s *actor.System, ctx context.Context) error {
			_, err := s.PublishAck(ctx, "h", "k2", "y")
			return err
		}},
		{"History", func(s *actor.System, ctx context.Context) error { _, err := s.History(ctx, "h", 1); return err }},
		{"Members", func(s *actor.System, ctx context.Context) error { _, err := s.Members(ctx, "h"); return err }},
		{"LookupName", func(s *actor.System, ctx context.Context) error { _, err := s.LookupName(ctx, "n"); return err }},
	} {
		start := time.Now()
		err := on(t, sys, a, func(c *actor.Context) error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			return tc.f(c.System(), ctx)
		})
		require.ErrorIs(t, err, actor.ErrOnShard, tc.name)
		require.Less(t, time.Since(start), time.Second, "%s refuses at once", tc.name)
	}
	h, err := sys.History(probeCtx(t), "h", 10)
	require.NoError(t, err)
	require.Len(t, h.Publications, 1, "the refused PublishAck published nothing")
}

// Recovered / guide: "A position is covered while the publication at it is
// still held"; "a member more than MaxReplay ... behind gets
// ErrTooFarBehind"; ErrFuturePosition: "Since is past anything published";
// ErrOtherEpoch; "With Err set ... nothing was delivered and the actor is
// not a member: History says what the group's history still holds". With
// Err nil: "every publication after Since up to Last was delivered before it
// (Count of them), and every live one after Last follows it."
func TestProbeRecoveryBoundaries(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "r", History: 10, MaxReplay: 4}})
	var pos []actor.Position
	for i := range 15 {
		pos = append(pos, probeAck(t, sys, "r", fmt.Sprint(i), i).Position)
	}
	e := pos[0].Epoch
	h, err := sys.History(probeCtx(t), "r", 4)
	require.NoError(t, err)
	require.Equal(t, pos[5], h.Oldest)
	require.Equal(t, pos[14], h.Latest)

	m, mc := spawnPuppet(t, sys)
	join := func(since actor.Position) {
		t.Helper()
		require.NoError(t, on(t, sys, m, func(c *actor.Context) error { return c.JoinSince("r", since) }),
			"JoinSince %v: not a member before, so no ErrJoined", since)
	}
	for _, tc := range []struct {
		since actor.Position
		want  error
	}{
		{pos[9], actor.ErrTooFarBehind}, // 5 behind, MaxReplay 4
		{actor.Position{Epoch: e, Seq: pos[14].Seq + 1}, actor.ErrFuturePosition},
		{actor.Position{Epoch: e, Seq: math.MaxUint64}, actor.ErrFuturePosition},
		{actor.Position{Epoch: e + 1, Seq: pos[10].Seq}, actor.ErrOtherEpoch},
		{actor.Position{Epoch: math.MaxUint64, Seq: 1}, actor.ErrOtherEpoch},
	} {
		join(tc.since)
		r, g := next[actor.Recovered](t, mc)
		require.False(t, g.isPb)
		require.ErrorIs(t, r.Err, tc.want, "since %v", tc.since)
		require.Equal(t, "r", r.Group)
		require.Equal(t, tc.since, r.Since)
		require.Empty(t, r.Publications)
		require.Equal(t, pos[5], r.Oldest, "since %v: what history still holds", tc.since)
		require.Equal(t, pos[14], r.Latest, "since %v", tc.since)
	}

	// Exactly MaxReplay behind: recovered.
	join(pos[10])
	for i := 11; i <= 14; i++ {
		v, g := next[int](t, mc)
		require.Equal(t, i, v)
		require.True(t, g.isPb)
		require.Equal(t, pos[i], g.pub.Position)
		require.Equal(t, "r", g.pub.Group)
	}
	r, _ := next[actor.Recovered](t, mc)
	require.NoError(t, r.Err)
	require.Equal(t, 4, r.Count)
	require.Equal(t, pos[10], r.Since)
	require.Equal(t, pos[14], r.Last)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Leave("r"); return nil }))

	// Caught up: nothing to replay, the seam is at the latest.
	join(pos[14])
	r, _ = next[actor.Recovered](t, mc)
	require.NoError(t, r.Err)
	require.Equal(t, 0, r.Count)
	require.Equal(t, pos[14], r.Last, "every live one after Last follows it: Last is the latest")
	p15 := probeAck(t, sys, "r", "15", 15)
	v, g := next[int](t, mc)
	require.Equal(t, 15, v)
	require.Equal(t, p15.Position, g.pub.Position)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Leave("r"); return nil }))

	// The zero Since with more held than MaxReplay: never more than
	// MaxReplay delivered.
	join(actor.Position{})
	var n int
	for {
		g := recv(t, mc)
		if r, ok := g.msg.(actor.Recovered); ok {
			if r.Err == nil {
				require.Equal(t, n, r.Count)
				require.LessOrEqual(t, n, 4)
			} else {
				require.ErrorIs(t, r.Err, actor.ErrTooFarBehind)
				require.Zero(t, n)
			}
			break
		}
		n++
	}
	probeDrain(mc, 50*time.Millisecond)

	// After a failed recovery it is no member: nothing new reaches it.
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Leave("r"); return nil }))
	join(pos[0])
	r, _ = next[actor.Recovered](t, mc)
	require.Error(t, r.Err)
	probeAck(t, sys, "r", "16", 16)
	probeQuiet(t, mc, 100*time.Millisecond, "not a member after a failed recovery")
}

// HistoryAge "keeps them for that long"; History: Oldest "zero when it
// holds none", Latest "{Epoch, 0} when it holds none"; a position is
// covered "when no publication after it has been dropped" (exactly, in
// memory); Position: Seq "grows with every publication of the group" and
// Epoch changes only "when the group's history is lost or reset".
func TestProbeHistoryAgeOut(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "age", HistoryAge: time.Second}})
	p1 := probeAck(t, sys, "age", "a", "a").Position
	time.Sleep(600 * time.Millisecond)
	p2 := probeAck(t, sys, "age", "b", "b").Position
	t2 := time.Now()
	time.Sleep(600 * time.Millisecond)
	h, err := sys.History(probeCtx(t), "age", 10)
	require.NoError(t, err)
	for _, p := range h.Publications {
		require.NotEqual(t, p1, p.Position, "a publication older than HistoryAge is not kept")
	}
	if time.Since(t2) < 900*time.Millisecond {
		require.Len(t, h.Publications, 1, "a publication younger than HistoryAge is kept")
		require.Equal(t, p2, h.Oldest)
	}
	time.Sleep(time.Until(t2.Add(1300 * time.Millisecond)))
	h, err = sys.History(probeCtx(t), "age", 10)
	require.NoError(t, err)
	require.Empty(t, h.Publications)
	assert.Zero(t, h.Oldest, "Oldest is zero when history holds nothing")
	assert.Equal(t, actor.Position{Epoch: p2.Epoch}, h.Latest, "Latest is {Epoch, 0} when history holds nothing")

	// The last position seen, aged out, but nothing after it: covered, and
	// nothing to replay.
	m, mc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { return c.JoinSince("age", p2) }))
	r, _ := next[actor.Recovered](t, mc)
	require.NoError(t, r.Err, "nothing after the position was dropped")
	assert.Equal(t, 0, r.Count)
	assert.Equal(t, p2, r.Last)
	// The one before it, aged out with something after it dropped too: lost.
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Leave("age"); return c.JoinSince("age", p1) }))
	r, _ = next[actor.Recovered](t, mc)
	assert.ErrorIs(t, r.Err, actor.ErrHistoryLost, "p2, after p1, was dropped")

	p3 := probeAck(t, sys, "age", "c", "c").Position
	require.Equal(t, p2.Epoch, p3.Epoch, "aging is not a loss of history")
	require.Greater(t, p3.Seq, p2.Seq, "Seq grows with every publication")
}

// A position is covered "when no publication after it has been dropped":
// the position just before the oldest held one is covered (its own
// publication is gone, nothing after it is), the one before that is not.
func TestProbeCoveredBoundary(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "r", History: 3, MaxReplay: 100}})
	var pos []actor.Position
	for i := range 5 {
		pos = append(pos, probeAck(t, sys, "r", fmt.Sprint(i), i).Position)
	}
	m, mc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { return c.JoinSince("r", pos[1]) }))
	var got []any
	for {
		g := recv(t, mc)
		if r, ok := g.msg.(actor.Recovered); ok {
			require.NoError(t, r.Err, "since %v, oldest held %v", pos[1], pos[2])
			assert.Equal(t, pos[2], r.Oldest)
			assert.Equal(t, []any{2, 3, 4}, got, "every publication after the position")
			break
		}
		got = append(got, g.msg)
	}
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Leave("r"); return c.JoinSince("r", pos[0]) }))
	r, _ := next[actor.Recovered](t, mc)
	assert.ErrorIs(t, r.Err, actor.ErrHistoryLost, "the publication after pos[0] was dropped")
	// Precedence, as for a position far behind: lost wins over too far
	// behind; a covered position too far behind is too far behind.
	sys2 := storeSystem(t, []actor.GroupSettings{{Pattern: "r", History: 10, MaxReplay: 4}})
	pos = pos[:0]
	for i := range 15 {
		pos = append(pos, probeAck(t, sys2, "r", fmt.Sprint(i), i).Position)
	}
	n, nc := spawnPuppet(t, sys2)
	for since, want := range map[actor.Position]error{pos[0]: actor.ErrHistoryLost, pos[4]: actor.ErrTooFarBehind} {
		require.NoError(t, on(t, sys2, n, func(c *actor.Context) error { return c.JoinSince("r", since) }))
		r, _ := next[actor.Recovered](t, nc)
		assert.ErrorIs(t, r.Err, want, "since %v (oldest held %v)", since, pos[5])
	}
}

// Groups: "a bad pattern, negative limits, a HistoryAge under a second or
// a MaxReplay over MaxMaxReplay fail NewSystem with ErrBadOption"; small
// positive limits are fine.
func TestProbeSmallLimitsAccepted(t *testing.T) {
	_, err := actor.NewSystem(actor.Groups(actor.GroupSettings{Pattern: "a", HistoryAge: time.Millisecond}))
	assert.ErrorIs(t, err, actor.ErrBadOption)
	for _, s := range []actor.GroupSettings{
		{Pattern: "a", HistoryAge: time.Second},
		{Pattern: "a", History: 1, DedupWindow: time.Millisecond},
		{Pattern: "a", History: 1, MaxReplay: 1},
	} {
		_, err := actor.NewSystem(actor.Groups(s))
		assert.NoError(t, err, "%+v", s)
	}
}

// Guide: "That is what lets a client resend everything not yet acknowledged
// after a reconnect, to any node" — the resending actor is a new one, so a
// key is the group's, not the publisher's. "The same key with a different
// message is refused with ErrKeyReused."
func TestProbeDedupAcrossActors(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "d", History: 100}})
	a, ac := spawnPuppet(t, sys)
	b, bc := spawnPuppet(t, sys)
	r := probeReq(t, sys, a, ac, func(c *actor.Context) (actor.RequestID, error) { return c.PublishAck("d", "k1", "hello") })
	require.NoError(t, r.Err)
	first := r.Msg.(actor.Published)
	require.False(t, first.Duplicate)
	r = probeReq(t, sys, b, bc, func(c *actor.Context) (actor.RequestID, error) { return c.PublishAck("d", "k1", "hello") })
	require.NoError(t, r.Err)
	require.Equal(t, actor.Published{Group: "d", Position: first.Position, Duplicate: true}, r.Msg)
	r = probeReq(t, sys, b, bc, func(c *actor.Context) (actor.RequestID, error) { return c.PublishAck("d", "k1", "other") })
	require.ErrorIs(t, r.Err, actor.ErrKeyReused)
	pb := probeAck(t, sys, "d", "k1", "hello")
	require.True(t, pb.Duplicate)
	require.Equal(t, first.Position, pb.Position)
	h, err := sys.History(probeCtx(t), "d", 10)
	require.NoError(t, err)
	require.Len(t, h.Publications, 1)
	require.Equal(t, a, h.Publications[0].From)
}

// The same key and the same message must be a duplicate whatever the
// message's type, slices included (a message is compared, never the cause
// of a panic).
func TestProbeDedupUncomparableMessages(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "d", History: 100}})
	type withSlice struct{ B []int }
	for i, msg := range []any{[]byte("raw"), withSlice{B: []int{1, 2}}, map[string]int{"a": 1}} {
		key := fmt.Sprint("u", i)
		p1 := probeAck(t, sys, "d", key, msg)
		p2, err := sys.PublishAck(probeCtx(t), "d", key, msg)
		if err == nil {
			require.True(t, p2.Duplicate, "%T", msg)
			require.Equal(t, p1.Position, p2.Position)
		} else {
			require.ErrorIs(t, err, actor.ErrKeyReused, "%T", msg)
		}
	}
}

// DedupWindow "is how long an idempotency key given to PublishAck is
// remembered": past it the key is new.
func TestProbeDedupWindowExpires(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "w", History: 100, DedupWindow: time.Second}})
	p1 := probeAck(t, sys, "w", "k", "m")
	require.True(t, probeAck(t, sys, "w", "k", "m").Duplicate)
	probeAck(t, sys, "w", "k2", "m")
	time.Sleep(1300 * time.Millisecond)
	p2 := probeAck(t, sys, "w", "k", "m")
	require.False(t, p2.Duplicate, "the window passed: the key is new")
	require.Greater(t, p2.Position.Seq, p1.Position.Seq)
	p3, err := sys.PublishAck(probeCtx(t), "w", "k2", "different")
	require.NoError(t, err, "the window passed: a different message with the key is no reuse")
	require.False(t, p3.Duplicate)
	h, err := sys.History(probeCtx(t), "w", 10)
	require.NoError(t, err)
	require.Len(t, h.Publications, 4)
}

// Two PublishAck with one key in one turn: one publication, both answered
// with its position, exactly one of them not Duplicate; delivered once.
func TestProbeDedupSameTurn(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "s", History: 100}})
	m, mc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Join("s"); return nil }))
	a, ac := spawnPuppet(t, sys)
	var ids [3]actor.RequestID
	require.NoError(t, on(t, sys, a, func(c *actor.Context) (err error) {
		for i := range ids {
			if ids[i], err = c.PublishAck("s", "k", "m"); err != nil {
				return err
			}
		}
		return nil
	}))
	var pos []actor.Position
	dups := 0
	seen := map[actor.RequestID]bool{}
	for range ids {
		r, _ := next[actor.Response](t, ac)
		require.NoError(t, r.Err)
		require.False(t, seen[r.ID], "one Response per request")
		seen[r.ID] = true
		pb := r.Msg.(actor.Published)
		pos = append(pos, pb.Position)
		if pb.Duplicate {
			dups++
		}
	}
	require.Equal(t, 2, dups)
	require.Equal(t, pos[0], pos[1])
	require.Equal(t, pos[0], pos[2])
	s, _ := next[string](t, mc)
	require.Equal(t, "m", s)
	probeQuiet(t, mc, 100*time.Millisecond, "delivered once")
	probeQuiet(t, ac, 0, "no extra Response")
}

// ErrBadKey: "holding a control character"; ErrBadGroup: "holding a control
// character"; ErrBadName: "holding a control character". DEL and the C1
// controls are control characters.
func TestProbeControlCharacters(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "g*", History: 10}})
	ctx := probeCtx(t)
	for _, k := range []string{"a\tb", "a\x7fb", "a\u0085b", "a\u009bb"} {
		_, err := sys.PublishAck(ctx, "g", k, "x")
		assert.ErrorIs(t, err, actor.ErrBadKey, "%q", k)
	}
	for _, k := range []string{"ключ-🔑", strings.Repeat("é", actor.MaxIdempotencyKey/2)} {
		_, err := sys.PublishAck(ctx, "g", k, "x")
		require.NoError(t, err, "%q", k)
	}
	for _, g := range []string{"g\x7f", "g\u0085", "g\t"} {
		_, err := sys.PublishAck(ctx, g, "k", "x")
		assert.ErrorIs(t, err, actor.ErrBadGroup, "%q", g)
	}
	a, _ := spawnPuppet(t, sys)
	for _, n := range []string{"a\x7f", "a\u0085", "a\tb", "\xed\xa0\x80", strings.Repeat("n", actor.MaxName+1)} {
		assert.ErrorIs(t, on(t, sys, a, func(c *actor.Context) error { _, err := c.RegisterName(n); return err }), actor.ErrBadName, "%q", n)
		_, err := sys.LookupName(ctx, n)
		assert.ErrorIs(t, err, actor.ErrBadName, "LookupName %q", n)
	}
	h, err := sys.History(ctx, "g", 10)
	require.NoError(t, err)
	assert.Len(t, h.Publications, 2, "refused input changed nothing")
}

// History: "keeps the last History publications"; History(n) answers with
// the last n, From the publisher (zero from outside).
func TestProbeHistoryCountLimit(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "c", History: 3}})
	a, ac := spawnPuppet(t, sys)
	var pos []actor.Position
	for i := range 5 {
		if i%2 == 0 {
			pos = append(pos, probeAck(t, sys, "c", fmt.Sprint(i), i).Position)
			continue
		}
		r := probeReq(t, sys, a, ac, func(c *actor.Context) (actor.RequestID, error) { return c.PublishAck("c", fmt.Sprint(i), i) })
		require.NoError(t, r.Err)
		pos = append(pos, r.Msg.(actor.Published).Position)
	}
	h, err := sys.History(probeCtx(t), "c", 10)
	require.NoError(t, err)
	require.Equal(t, "c", h.Group)
	require.Len(t, h.Publications, 3)
	for i, p := range h.Publications {
		require.Equal(t, 2+i, p.Msg)
		require.Equal(t, pos[2+i], p.Position)
		if (2+i)%2 == 0 {
			require.Zero(t, p.From)
		} else {
			require.Equal(t, a, p.From)
		}
	}
	require.Equal(t, pos[2], h.Oldest)
	require.Equal(t, pos[4], h.Latest)
}

// JoinWith: "ErrJoined (a member already: Leave first)"; Join: "Joining
// twice is a no-op"; "Join on a group with settings is JoinWith without
// options"; guide: "Bad input is refused at once ... and changes nothing:
// ... joining twice (ErrJoined)".
func TestProbeJoinTwice(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "p", Presence: true, History: 10}})
	w, wc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, w, func(c *actor.Context) error { return c.WatchPresence("p") }))
	a, ac := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinWith("p", actor.JoinOptions{Info: "one"}) }))
	ev, _ := next[actor.Presence](t, wc)
	require.Equal(t, actor.Presence{Group: "p", Member: actor.Member{ID: a, Info: "one"}, Joined: true}, ev)
	require.ErrorIs(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinWith("p", actor.JoinOptions{Info: "two"}) }), actor.ErrJoined)
	require.ErrorIs(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinSince("p", actor.Position{}) }), actor.ErrJoined)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { c.Join("p"); return nil }))
	probeQuiet(t, wc, 100*time.Millisecond, "joining twice changes nothing")
	probeQuiet(t, ac, 0, "no Recovered for a refused JoinSince")
	require.Equal(t, []actor.Member{{ID: a, Info: "one"}}, probeMembers(t, sys, "p"))

	b, bc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, b, func(c *actor.Context) error { c.Join("p"); c.Join("p"); return nil }))
	ev, _ = next[actor.Presence](t, wc)
	require.Equal(t, actor.Presence{Group: "p", Member: actor.Member{ID: b}, Joined: true}, ev)
	require.ErrorIs(t, on(t, sys, b, func(c *actor.Context) error { return c.JoinWith("p", actor.JoinOptions{}) }), actor.ErrJoined)
	probeQuiet(t, wc, 50*time.Millisecond, "one join event")
	require.Len(t, probeMembers(t, sys, "p"), 2)
	probeAck(t, sys, "p", "k", "line")
	for _, ch := range []chan got{ac, bc} {
		s, g := next[string](t, ch)
		require.Equal(t, "line", s)
		require.True(t, g.isPb)
		probeQuiet(t, ch, 50*time.Millisecond, "delivered once to a member that joined twice")
	}
	// Leave and join again with another info.
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error {
		c.Leave("p")
		return c.JoinWith("p", actor.JoinOptions{Info: "two"})
	}))
	ev, _ = next[actor.Presence](t, wc)
	require.Equal(t, actor.Presence{Group: "p", Member: actor.Member{ID: a, Info: "one"}}, ev)
	ev, _ = next[actor.Presence](t, wc)
	require.Equal(t, actor.Presence{Group: "p", Member: actor.Member{ID: a, Info: "two"}, Joined: true}, ev)
	require.ElementsMatch(t, []actor.Member{{ID: a, Info: "two"}, {ID: b}}, probeMembers(t, sys, "p"))
	// Leaving a group one is not in: nothing.
	require.NoError(t, on(t, sys, w, func(c *actor.Context) error { c.Leave("p"); return nil }))
	probeQuiet(t, wc, 50*time.Millisecond, "a Leave of a non-member")
}

// Presence: "Member joined the group (Joined) or left it (a Leave, its
// actor's end ...)" — the Member of a leave is the one that joined, info
// included; guide: "A member leaves with Leave, when it closes or stops,
// when it panics".
func TestProbePresenceInfoOnLeave(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "lobby", Presence: true}}, quietLog())
	w, wc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, w, func(c *actor.Context) error { return c.WatchPresence("lobby") }))
	end := []struct {
		name string
		opts []actor.SpawnOption
		f    func(id actor.ID)
	}{
		{"leave", nil, func(id actor.ID) {
			require.NoError(t, on(t, sys, id, func(c *actor.Context) error { c.Leave("lobby"); return nil }))
		}},
		{"stop", nil, func(id actor.ID) {
			require.NoError(t, on(t, sys, id, func(c *actor.Context) error { c.Stop(); return nil }))
		}},
		{"panic-restart", nil, func(id actor.ID) { require.NoError(t, sys.Send(id, do(func(*actor.Context) { panic("boom") }))) }},
		{"panic-stop", []actor.SpawnOption{actor.Supervise(actor.StopOnFailure())}, func(id actor.ID) {
			require.NoError(t, sys.Send(id, do(func(*actor.Context) { panic("boom") })))
		}},
	}
	for i, e := range end {
		id, _ := probeSpawn(t, sys, e.opts...)
		info := fmt.Sprintf("ñick %d 👩‍👩‍👧 \u200d", i)
		require.NoError(t, on(t, sys, id, func(c *actor.Context) error { return c.JoinWith("lobby", actor.JoinOptions{Info: info}) }))
		ev, _ := next[actor.Presence](t, wc)
		require.Equal(t, actor.Presence{Group: "lobby", Member: actor.Member{ID: id, Info: info}, Joined: true}, ev)
		e.f(id)
		ev, _ = next[actor.Presence](t, wc)
		require.Equal(t, actor.Presence{Group: "lobby", Member: actor.Member{ID: id, Info: info}}, ev, e.name)
	}
	require.Empty(t, probeMembers(t, sys, "lobby"))
}

// JoinOptions.Info: "at most 4 KiB"; an Info over MaxInfo is an error
// returned at once, and "Bad input ... changes nothing".
func TestProbeInfoLimit(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "lobby", Presence: true}})
	a, _ := spawnPuppet(t, sys)
	big := strings.Repeat("é", actor.MaxInfo/2)
	require.Error(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinWith("lobby", actor.JoinOptions{Info: big + "x"}) }))
	require.Empty(t, probeMembers(t, sys, "lobby"))
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinWith("lobby", actor.JoinOptions{Info: big}) }))
	require.Equal(t, []actor.Member{{ID: a, Info: big}}, probeMembers(t, sys, "lobby"))
}

// Guide: "when it panics (a restarted actor starts outside its groups)";
// supervision: "messages that were queued for the ID when the old one
// panicked ... reach the new one after its Started". A join queued behind
// the panic is the new incarnation's: it must stand, not be undone by the
// old one's leave.
func TestProbeRestartedMemberQueuedBehindPanic(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "lobby", Presence: true}, {Pattern: "h", History: 100}}, quietLog())
	w, wc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, w, func(c *actor.Context) error { return c.WatchPresence("lobby") }))
	a, ac := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error {
		c.Join("h")
		return c.JoinWith("lobby", actor.JoinOptions{Info: "first"})
	}))
	next[actor.Presence](t, wc)

	errc := make(chan error, 1)
	require.NoError(t, sys.Send(a, do(func(*actor.Context) { panic("boom") })))
	require.NoError(t, sys.Send(a, do(func(c *actor.Context) { errc <- c.JoinWith("lobby", actor.JoinOptions{Info: "second"}) })))
	require.NoError(t, recv(t, errc), "the restarted actor starts outside its groups")
	ev, _ := next[actor.Presence](t, wc)
	require.Equal(t, actor.Presence{Group: "lobby", Member: actor.Member{ID: a, Info: "first"}}, ev, "the old one leaves first")
	ev, _ = next[actor.Presence](t, wc)
	require.Equal(t, actor.Presence{Group: "lobby", Member: actor.Member{ID: a, Info: "second"}, Joined: true}, ev)
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, []actor.Member{{ID: a, Info: "second"}}, probeMembers(t, sys, "lobby"))

	// And no longer in "h".
	probeAck(t, sys, "h", "k", "after restart")
	probeQuiet(t, ac, 100*time.Millisecond, "a restarted actor is no member of h")
}

// A recovery queued behind a panic is the restarted actor's own: it is no
// member ("a restarted actor starts outside its groups"), so JoinSince
// works and recovers each publication once.
func TestProbeRecoveryQueuedBehindPanic(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 100}}, quietLog())
	a, ac := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { c.Join("h"); return nil }))
	for i := range 3 {
		probeAck(t, sys, "h", fmt.Sprint(i), fmt.Sprint("p", i))
	}
	for i := range 3 {
		s, _ := next[string](t, ac)
		require.Equal(t, fmt.Sprint("p", i), s)
	}
	errc := make(chan error, 1)
	require.NoError(t, sys.Send(a, do(func(*actor.Context) { panic("boom") })))
	require.NoError(t, sys.Send(a, do(func(c *actor.Context) { errc <- c.JoinSince("h", actor.Position{}) })))
	require.NoError(t, recv(t, errc))
	for i := range 3 {
		s, g := next[string](t, ac)
		require.Equal(t, fmt.Sprint("p", i), s)
		require.True(t, g.isPb)
	}
	r, _ := next[actor.Recovered](t, ac)
	require.NoError(t, r.Err)
	require.Equal(t, 3, r.Count)
	probeAck(t, sys, "h", "live", "live")
	s, _ := next[string](t, ac)
	require.Equal(t, "live", s)
	probeQuiet(t, ac, 50*time.Millisecond, "once")
}

// Names: "Registering a name the actor holds already answers nil"; a name
// claimed again by the restarted actor (queued behind its panic) must stay
// its own.
func TestProbeNameQueuedBehindPanic(t *testing.T) {
	sys := storeSystem(t, nil, quietLog())
	a, ac := spawnPuppet(t, sys)
	r := probeReq(t, sys, a, ac, func(c *actor.Context) (actor.RequestID, error) { return c.RegisterName("boss") })
	require.NoError(t, r.Err)
	ridc := make(chan actor.RequestID, 1)
	require.NoError(t, sys.Send(a, do(func(*actor.Context) { panic("boom") })))
	require.NoError(t, sys.Send(a, do(func(c *actor.Context) {
		rid, err := c.RegisterName("boss")
		if err != nil {
			panic(err)
		}
		ridc <- rid
	})))
	rid := recv(t, ridc)
	r, _ = next[actor.Response](t, ac)
	require.Equal(t, rid, r.ID)
	require.NoError(t, r.Err)
	time.Sleep(100 * time.Millisecond)
	who, err := sys.LookupName(probeCtx(t), "boss")
	require.NoError(t, err, "the restarted actor registered it again")
	require.Equal(t, a, who)
	b, bc := spawnPuppet(t, sys)
	r = probeReq(t, sys, b, bc, func(c *actor.Context) (actor.RequestID, error) { return c.RegisterName("boss") })
	require.ErrorIs(t, r.Err, actor.ErrNameTaken)
}

// RegisterName: "The name is released by UnregisterName, when the actor
// stops or closes"; guide: "by the holder's end". A panic under
// StopOnFailure is the holder's end.
func TestProbeNamesReleasedOnPanicStop(t *testing.T) {
	sys := storeSystem(t, nil, quietLog())
	a, ac := probeSpawn(t, sys, actor.Supervise(actor.StopOnFailure()))
	for _, n := range []string{"x", "y"} {
		r := probeReq(t, sys, a, ac, func(c *actor.Context) (actor.RequestID, error) { return c.RegisterName(n) })
		require.NoError(t, r.Err, "an actor may hold two names")
	}
	require.NoError(t, sys.Send(a, do(func(*actor.Context) { panic("boom") })))
	for _, n := range []string{"x", "y"} {
		require.Eventually(t, func() bool {
			_, err := sys.LookupName(probeCtx(t), n)
			return errors.Is(err, actor.ErrNoName)
		}, 5*time.Second, 5*time.Millisecond, "name %s released by the holder's end", n)
	}
}

// Names with any UTF-8 work; the registry folds nothing (the guide's
// nickname registry lowercases itself).
func TestProbeNamesOddUTF8(t *testing.T) {
	sys := storeSystem(t, nil)
	a, ac := spawnPuppet(t, sys)
	b, bc := spawnPuppet(t, sys)
	names := []string{"日本語", "👩‍👩‍👧", "\u00e9", "Alice", " ", "a b.c*>", "שלום", "\u200b", "\U0010FFFF", strings.Repeat("€", actor.MaxName/3)}
	for _, n := range names {
		r := probeReq(t, sys, a, ac, func(c *actor.Context) (actor.RequestID, error) { return c.RegisterName(n) })
		require.NoError(t, r.Err, "%q", n)
	}
	for _, n := range names {
		who, err := sys.LookupName(probeCtx(t), n)
		require.NoError(t, err, "%q", n)
		require.Equal(t, a, who)
	}
	for _, n := range []string{"e\u0301", "alice", "ALICE", "  ", "a b.c*"} {
		r := probeReq(t, sys, b, bc, func(c *actor.Context) (actor.RequestID, error) { return c.RegisterName(n) })
		require.NoError(t, r.Err, "%q is another name", n)
	}
	r := probeReq(t, sys, b, bc, func(c *actor.Context) (actor.RequestID, error) { return c.LookupName("\u00e9") })
	require.NoError(t, r.Err)
	require.Equal(t, a, r.Msg)
	r = probeReq(t, sys, b, bc, func(c *actor.Context) (actor.RequestID, error) { return c.LookupName("nobody") })
	require.ErrorIs(t, r.Err, actor.ErrNoName)
}

// Guide: "any other name works, dots and spaces included"; ErrBadGroup for
// a name "longer than MaxGroupName"; Pattern "is a group name, or a prefix
// followed by '*'".
func TestProbeOddGroupNames(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{
		{Pattern: "room:*", History: 10, Presence: true},
		{Pattern: "a b.c>d", History: 10, Presence: true},
	})
	m, mc := spawnPuppet(t, sys)
	groups := []string{"room:a.b c", "room:a.b", "room:a>b", "room:a*b", "room:a b", "room:a.b ", "room:*", "room:>", "room:a.*.>", "room:😀",
		"room:" + strings.Repeat("x", actor.MaxGroupName-5), "a b.c>d"}
	for _, g := range groups {
		require.NoError(t, on(t, sys, m, func(c *actor.Context) error {
			return c.JoinWith(g, actor.JoinOptions{Recover: true, Info: g})
		}), "%q", g)
		r, _ := next[actor.Recovered](t, mc)
		require.NoError(t, r.Err, "%q", g)
		require.Equal(t, g, r.Group)
	}
	for i, g := range groups {
		p := probeAck(t, sys, g, "k", i)
		v, gt := next[int](t, mc)
		require.Equal(t, i, v, "%q reaches its members only", g)
		require.Equal(t, g, gt.pub.Group)
		require.Equal(t, p.Position, gt.pub.Position)
		require.Equal(t, []actor.Member{{ID: m, Info: g}}, probeMembers(t, sys, g), "%q", g)
		h, err := sys.History(probeCtx(t), g, 10)
		require.NoError(t, err)
		require.Len(t, h.Publications, 1, "%q", g)
	}
	probeQuiet(t, mc, 50*time.Millisecond, "each group's publication once")
	_, err := sys.PublishAck(probeCtx(t), "room:"+strings.Repeat("x", actor.MaxGroupName-4), "k", "x")
	require.ErrorIs(t, err, actor.ErrBadGroup)
}

// Guide: "an exact name wins over a prefix, a longer prefix over a
// shorter one. Groups that match nothing stay plain groups".
func TestProbePatternPrecedence(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{
		{Pattern: "room:*", History: 10},
		{Pattern: "room:vip:*", Presence: true},
		{Pattern: "room:x", Presence: true},
	})
	ctx := probeCtx(t)
	_, err := sys.PublishAck(ctx, "room:y", "k", 1)
	require.NoError(t, err)
	_, err = sys.Members(ctx, "room:y")
	require.ErrorIs(t, err, actor.ErrNoPresence)
	for _, g := range []string{"room:vip:1", "room:x"} {
		_, err = sys.PublishAck(ctx, g, "k", 1)
		require.ErrorIs(t, err, actor.ErrNoHistory, g)
		_, err = sys.Members(ctx, g)
		require.NoError(t, err, g)
	}
	_, err = sys.PublishAck(ctx, "room:vip", "k", 1)
	require.NoError(t, err, "room:vip is not under room:vip:")
	_, err = sys.PublishAck(ctx, "room:xy", "k", 1)
	require.NoError(t, err, "room:xy is not room:x")
	_, err = sys.PublishAck(ctx, "roomy", "k", 1)
	require.ErrorIs(t, err, actor.ErrNoHistory)
}

// System.Publish to a group with history: "members see a zero Sender";
// "stored first, given its position, and delivered from the store".
func TestProbePublishFromOutside(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 10}})
	m, mc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Join("h"); return nil }))
	require.NoError(t, sys.Publish("h", "outside"))
	s, g := next[string](t, mc)
	require.Equal(t, "outside", s)
	require.True(t, g.isPb)
	require.Zero(t, g.from)
	require.Zero(t, g.pub.From)
	require.Equal(t, "outside", g.pub.Msg)
	h, err := sys.History(probeCtx(t), "h", 1)
	require.NoError(t, err)
	require.Len(t, h.Publications, 1)
	require.Equal(t, g.pub.Position, h.Publications[0].Position)
	require.Zero(t, h.Publications[0].From)
}

// A connection actor's Closed handler publishes to a group with history and
// the name and presence of the closed connection are released: RegisterName
// "released ... when the actor stops or closes"; guide: "A member leaves ...
// when it closes".
func TestProbeConnectionClosedHandler(t *testing.T) {
	ch := make(chan got, 1024)
	f := func() actor.Actor {
		return actor.ReceiveFunc(func(c *actor.Context) {
			switch m := c.Message().(type) {
			case actor.Opened:
				if _, err := c.RegisterName(fmt.Sprint("conn-", c.Self())); err != nil {
					panic(err)
				}
				if err := c.JoinWith("lobby", actor.JoinOptions{Info: "conn"}); err != nil {
					panic(err)
				}
			case actor.Response:
				ch <- got{msg: m, from: c.Self()}
			case actor.Closed:
				ch <- got{msg: c.Publish("h", fmt.Sprint("bye from ", c.Self())), from: c.Self()}
				_, err := c.PublishAck("h", fmt.Sprint("ack-", c.Self()), "acked bye")
				ch <- got{msg: err, from: c.Self()}
			}
		})
	}
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), f,
		actor.Groups(actor.GroupSettings{Pattern: "h", History: 10}, actor.GroupSettings{Pattern: "lobby", Presence: true}))
	m, mc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, m, func(c *actor.Context) error { c.Join("h"); return c.WatchPresence("lobby") }))

	conn, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	ev, _ := next[actor.Presence](t, mc)
	require.True(t, ev.Joined)
	id := ev.Member.ID
	g := recv(t, ch)
	require.NoError(t, g.msg.(actor.Response).Err, "name registered")
	// A second connection stays open into the system's Stop.
	conn2, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	next[actor.Presence](t, mc)
	recv(t, ch)

	require.NoError(t, conn.Close())
	require.Nil(t, recv(t, ch).msg, "Publish from Closed")
	require.Nil(t, recv(t, ch).msg, "PublishAck from Closed")
	var seen []string
	var leave bool
	for len(seen) < 2 || !leave {
		g := recv(t, mc)
		switch v := g.msg.(type) {
		case string:
			require.True(t, g.isPb)
			require.Equal(t, id, g.pub.From)
			seen = append(seen, v)
		case actor.Presence:
			require.Equal(t, actor.Presence{Group: "lobby", Member: actor.Member{ID: id, Info: "conn"}}, v)
			leave = true
		default:
			t.Fatalf("got %T %v", v, v)
		}
	}
	require.ElementsMatch(t, []string{fmt.Sprint("bye from ", id), "acked bye"}, seen)
	require.Eventually(t, func() bool {
		_, err := sys.LookupName(probeCtx(t), fmt.Sprint("conn-", id))
		return errors.Is(err, actor.ErrNoName)
	}, 5*time.Second, 5*time.Millisecond, "the name of a closed connection is released")
	h, err := sys.History(probeCtx(t), "h", 10)
	require.NoError(t, err)
	require.Len(t, h.Publications, 2)

	// The second connection is closed by the system's Stop: its Closed
	// handler publishes during the shutdown, without a panic or a leak.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, sys.Stop(ctx))
	recv(t, ch)
	recv(t, ch)
	require.NoError(t, conn2.Close())
}

// Broadcast: "A group with history refuses Broadcast with
// ErrBroadcastHistory"; a group with presence only is no group with history.
func TestProbeBroadcastHistory(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 10}, {Pattern: "p", Presence: true}, {Pattern: "a", HistoryAge: time.Hour}})
	a, _ := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { c.Join("h"); c.Join("p"); return nil }))
	for _, g := range []string{"h", "a"} {
		require.ErrorIs(t, sys.Broadcast(g, []byte("x")), actor.ErrBroadcastHistory, g)
		require.ErrorIs(t, on(t, sys, a, func(c *actor.Context) error { return c.Broadcast(g, []byte("x")) }), actor.ErrBroadcastHistory, g)
		h, err := sys.History(probeCtx(t), g, 10)
		require.NoError(t, err)
		require.Empty(t, h.Publications, "a refused Broadcast stores nothing")
	}
	require.NoError(t, sys.Broadcast("p", []byte("x")))
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { return c.Broadcast("p", []byte("x")) }))
	require.NoError(t, sys.Broadcast("plain", []byte("x")))
}

// Guide: "Groups that match nothing stay plain groups, as fast as before";
// ErrBadGroup is for "a group name a group with settings cannot have".
func TestProbePlainGroupUnchanged(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "room:*", History: 10, Presence: true}})
	a, ac := spawnPuppet(t, sys)
	b, bc := spawnPuppet(t, sys)
	odd := "plain\x00odd\n" + strings.Repeat("x", 600)
	for _, id := range []actor.ID{a, b} {
		require.NoError(t, on(t, sys, id, func(c *actor.Context) error { c.Join("chat"); c.Join("chat"); c.Join(odd); return nil }))
	}
	for i := range 50 {
		require.NoError(t, sys.Publish("chat", i))
	}
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { return c.Publish(odd, "odd") }))
	for _, ch := range []chan got{ac, bc} {
		for i := range 50 {
			v, g := next[int](t, ch)
			require.Equal(t, i, v)
			require.False(t, g.isPb, "a plain publication has no position")
		}
		s, g := next[string](t, ch)
		require.Equal(t, "odd", s)
		require.Equal(t, a, g.from)
		require.False(t, g.isPb)
		probeQuiet(t, ch, 50*time.Millisecond, "joining a plain group twice is a no-op")
	}
	ctx := probeCtx(t)
	_, err := sys.PublishAck(ctx, "chat", "k", 1)
	require.ErrorIs(t, err, actor.ErrNoHistory)
	_, err = sys.History(ctx, "chat", 1)
	require.ErrorIs(t, err, actor.ErrNoHistory)
	_, err = sys.Members(ctx, "chat")
	require.ErrorIs(t, err, actor.ErrNoPresence)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { c.Leave("chat"); return nil }))
	require.NoError(t, sys.Publish("chat", "after"))
	s, _ := next[string](t, bc)
	require.Equal(t, "after", s)
	probeQuiet(t, ac, 50*time.Millisecond, "left")
}

// Context.Publication: "ok is false while handling anything else (a
// publication of a group without history has no position)".
func TestProbePublicationFalse(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 10}, {Pattern: "p", Presence: true}})
	a, ac := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error {
		if err := c.WatchPresence("p"); err != nil {
			return err
		}
		c.Join("p")
		c.Join("plain")
		return c.JoinSince("h", actor.Position{})
	}))
	kinds := map[string]bool{}
	for range 2 {
		g := recv(t, ac)
		require.False(t, g.isPb, "%T", g.msg)
		kinds[fmt.Sprintf("%T", g.msg)] = true
	}
	require.Equal(t, map[string]bool{"actor.Presence": true, "actor.Recovered": true}, kinds)
	var g got
	probeAck(t, sys, "h", "k", "stored")
	_, g = next[string](t, ac)
	require.True(t, g.isPb)
	require.Equal(t, "stored", g.pub.Msg)
	require.NoError(t, sys.Send(a, "sent"))
	_, g = next[string](t, ac)
	require.False(t, g.isPb, "a message sent after a stored one")
	require.NoError(t, sys.Publish("p", "presence-only"))
	_, g = next[string](t, ac)
	require.False(t, g.isPb, "a publication to a group with presence only")
	require.NoError(t, sys.Publish("plain", "plain"))
	_, g = next[string](t, ac)
	require.False(t, g.isPb, "plain")
	r := probeReq(t, sys, a, ac, func(c *actor.Context) (actor.RequestID, error) { return c.History("h", 1) })
	require.NoError(t, r.Err)
	// The Publication inside Receive, asked directly.
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error {
		if _, ok := c.Publication(); ok {
			return errors.New("ok while handling a do")
		}
		return nil
	}))
}

// Position: "a Position is "epoch:seq" as text and in JSON"; MarshalText
// "is String, so a Position is a JSON string"; UnmarshalText "is
// ParsePosition", whose "error wraps ErrBadPosition".
func TestProbePositionJSON(t *testing.T) {
	type wrap struct {
		P actor.Position         `json:"p"`
		Q *actor.Position        `json:"q,omitempty"`
		M map[actor.Position]int `json:"m,omitempty"`
	}
	for _, p := range []actor.Position{{}, {Epoch: 1, Seq: 2}, {Epoch: math.MaxUint64, Seq: math.MaxUint64}} {
		q := p
		in := wrap{P: p, Q: &q, M: map[actor.Position]int{p: 7}}
		b, err := json.Marshal(in)
		require.NoError(t, err)
		s := fmt.Sprintf("%d:%d", p.Epoch, p.Seq)
		require.JSONEq(t, fmt.Sprintf(`{"p":%q,"q":%q,"m":{%q:7}}`, s, s, s), string(b))
		var out wrap
		require.NoError(t, json.Unmarshal(b, &out))
		require.Equal(t, in, out)
		require.Equal(t, s, p.String())
		pp, err := actor.ParsePosition(s)
		require.NoError(t, err)
		require.Equal(t, p, pp)
		require.Equal(t, p == actor.Position{}, p.IsZero())
	}
	var out wrap
	err := json.Unmarshal([]byte(`{"p":"x"}`), &out)
	require.ErrorIs(t, err, actor.ErrBadPosition)
	require.Error(t, json.Unmarshal([]byte(`{"p":12}`), &out))

	for _, s := range []string{"", ":", "1:", ":1", "a:1", "1:b", "-1:1", "1:-1", "1:2:3", " 1:2", "1:2 ", "1;2",
		"18446744073709551616:1", "1:18446744073709551616", "0x1:2", "1.0:2"} {
		_, err := actor.ParsePosition(s)
		require.ErrorIs(t, err, actor.ErrBadPosition, "%q", s)
		var p actor.Position
		require.ErrorIs(t, p.UnmarshalText([]byte(s)), actor.ErrBadPosition, "%q", s)
	}
}

// Guide: "Every request to the store ... is answered exactly once"; guide
// section 5: once an actor is stopping "nothing more is delivered to it but
// its final Stopped"; names and presence are released by "the holder's end"
// even with the registration still on its way; "Errors returned at once ...
// mean nothing was published" — no error: it was published.
func TestProbeStopWithAnswersInFlight(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 10, Presence: true}})
	for round := range 5 {
		a, ac := spawnPuppet(t, sys)
		name := fmt.Sprint("dying-", round)
		require.NoError(t, on(t, sys, a, func(c *actor.Context) error {
			if err := c.JoinWith("h", actor.JoinOptions{Recover: true, Info: "dying"}); err != nil {
				return err
			}
			if err := c.WatchPresence("h"); err != nil {
				return err
			}
			for _, f := range []func() (actor.RequestID, error){
				func() (actor.RequestID, error) { return c.RegisterName(name) },
				func() (actor.RequestID, error) { return c.PublishAck("h", name, "last words") },
				func() (actor.RequestID, error) { return c.History("h", 1) },
				func() (actor.RequestID, error) { return c.Members("h") },
				func() (actor.RequestID, error) { return c.LookupName(name) },
			} {
				if _, err := f(); err != nil {
					return err
				}
			}
			c.Stop()
			return nil
		}))
		_, _ = next[actor.Stopped](t, ac)
		probeQuiet(t, ac, 50*time.Millisecond, "nothing after Stopped")
		require.Eventually(t, func() bool {
			_, err := sys.LookupName(probeCtx(t), name)
			return errors.Is(err, actor.ErrNoName)
		}, 5*time.Second, 5*time.Millisecond, "the name registered on its way out is released")
		require.Eventually(t, func() bool { return len(probeMembers(t, sys, "h")) == 0 }, 5*time.Second, 5*time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	for round := range 5 {
		_, err := sys.LookupName(probeCtx(t), fmt.Sprint("dying-", round))
		require.ErrorIs(t, err, actor.ErrNoName, "a released name stays released")
	}
	require.Empty(t, probeMembers(t, sys, "h"), "no member left behind")
	h, err := sys.History(probeCtx(t), "h", 10)
	require.NoError(t, err)
	require.Len(t, h.Publications, 5, "each accepted PublishAck was published")
}

// As above with a panic and a restart: "a restarted actor starts outside
// its groups"; no request answered twice; the restarted actor can recover
// again and gets each publication exactly once.
func TestProbePanicWithAnswersInFlight(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 100, Presence: true}}, quietLog())
	for i := range 3 {
		probeAck(t, sys, "h", fmt.Sprint("pre", i), fmt.Sprint("pre", i))
	}
	a, ac := spawnPuppet(t, sys)
	var rids []actor.RequestID
	ridc := make(chan []actor.RequestID, 1)
	require.NoError(t, sys.Send(a, do(func(c *actor.Context) {
		if err := c.JoinWith("h", actor.JoinOptions{Recover: true, Info: "old"}); err != nil {
			panic(err)
		}
		for _, f := range []func() (actor.RequestID, error){
			func() (actor.RequestID, error) { return c.RegisterName("pname") },
			func() (actor.RequestID, error) { return c.PublishAck("h", "pk", "from old") },
			func() (actor.RequestID, error) { return c.History("h", 1) },
			func() (actor.RequestID, error) { return c.Members("h") },
			func() (actor.RequestID, error) { return c.LookupName("pname") },
		} {
			id, err := f()
			if err != nil {
				panic(err)
			}
			rids = append(rids, id)
		}
		ridc <- rids
		panic("boom")
	})))
	rids = recv(t, ridc)
	stale := probeDrain(ac, 300*time.Millisecond)
	count := map[actor.RequestID]int{}
	for _, g := range stale {
		if r, ok := g.msg.(actor.Response); ok {
			count[r.ID]++
			require.LessOrEqual(t, count[r.ID], 1, "request %v answered twice", r.ID)
		}
	}
	require.Eventually(t, func() bool { return len(probeMembers(t, sys, "h")) == 0 }, 5*time.Second, 5*time.Millisecond,
		"a panicked member leaves, even with its join on its way")
	probeAck(t, sys, "h", "live1", "live1")
	probeQuiet(t, ac, 100*time.Millisecond, "the restarted actor is no member")

	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinSince("h", actor.Position{}) }),
		"the restarted actor starts outside its groups")
	seen := map[actor.Position]int{}
	var recovered int
	for _, g := range probeDrain(ac, 300*time.Millisecond) {
		switch m := g.msg.(type) {
		case actor.Recovered:
			require.NoError(t, m.Err)
			recovered++
		case string:
			require.True(t, g.isPb)
			seen[g.pub.Position]++
			require.Equal(t, 1, seen[g.pub.Position], "%s twice", m)
		case actor.Response:
			count[m.ID]++
			require.LessOrEqual(t, count[m.ID], 1, "request %v answered twice", m.ID)
		}
	}
	require.Equal(t, 1, recovered, "one Recovered for one JoinSince")
	require.Len(t, seen, 5, "pre0..2, from old, live1")
	probeAck(t, sys, "h", "live2", "live2")
	s, _ := next[string](t, ac)
	require.Equal(t, "live2", s)
	probeQuiet(t, ac, 50*time.Millisecond, "once")
}

// System.Stop with store answers on their way and callers waiting outside:
// GroupStore.Stop: "every callback still owed is called (with an error)
// before it returns"; System.Stop: "when Stop returns, the system's
// goroutines and descriptors are all gone"; each request answered at most
// once, Stopped last and once.
func TestProbeSystemStopWithAnswersInFlight(t *testing.T) {
	before := goleak.IgnoreCurrent()
	sys, err := actor.NewSystem(actor.Shards(2), actor.Groups(
		actor.GroupSettings{Pattern: "h", History: 1000, Presence: true},
		actor.GroupSettings{Pattern: "r", History: 1000}))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	for i := range 20 {
		probeAck(t, sys, "r", fmt.Sprint(i), i)
	}
	type pup struct {
		id actor.ID
		ch chan got
	}
	var pups []pup
	for range 4 {
		id, ch := spawnPuppet(t, sys)
		pups = append(pups, pup{id, ch})
	}
	stopOutside := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				var err error
				switch i {
				case 0:
					_, err = sys.PublishAck(context.Background(), "h", fmt.Sprint("out", j), j)
				case 1:
					_, err = sys.History(context.Background(), "r", 5)
				case 2:
					_, err = sys.Members(context.Background(), "h")
				case 3:
					_, err = sys.LookupName(context.Background(), "n")
					if errors.Is(err, actor.ErrNoName) {
						err = nil
					}
				}
				select {
				case <-stopOutside:
					return
				default:
				}
				if err != nil {
					<-stopOutside
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	for i, p := range pups {
		require.NoError(t, sys.Send(p.id, do(func(c *actor.Context) {
			_ = c.JoinWith("h", actor.JoinOptions{Info: "x"})
			_ = c.JoinSince("r", actor.Position{})
			_ = c.WatchPresence("h")
			for j := range 5 {
				_, _ = c.PublishAck("h", fmt.Sprint(i, "-", j), j)
			}
			_, _ = c.RegisterName(fmt.Sprint("n", i))
			_, _ = c.History("r", 10)
			_, _ = c.Members("h")
			_, _ = c.LookupName("n0")
		})))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, sys.Stop(ctx))
	close(stopOutside)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("a System store call still waits after Stop returned")
	}
	for _, p := range pups {
		gs := probeDrain(p.ch, 50*time.Millisecond)
		require.NotEmpty(t, gs)
		_, last := gs[len(gs)-1].msg.(actor.Stopped)
		require.True(t, last, "Stopped is last, got %T", gs[len(gs)-1].msg)
		count := map[actor.RequestID]int{}
		stopped := 0
		for _, g := range gs {
			switch m := g.msg.(type) {
			case actor.Response:
				count[m.ID]++
				require.LessOrEqual(t, count[m.ID], 1, "request answered twice")
			case actor.Stopped:
				stopped++
			}
		}
		require.Equal(t, 1, stopped)
	}
	// After Stop, store calls fail at once.
	for _, f := range []func() error{
		func() error { _, err := sys.PublishAck(context.Background(), "h", "late", 1); return err },
		func() error { _, err := sys.History(context.Background(), "r", 1); return err },
		func() error { _, err := sys.Members(context.Background(), "h"); return err },
		func() error { _, err := sys.LookupName(context.Background(), "n0"); return err },
	} {
		errc := make(chan error, 1)
		go func() { errc <- f() }()
		select {
		case err := <-errc:
			require.Error(t, err)
		case <-time.After(3 * time.Second):
			t.Fatal("a store call on a stopped system waits")
		}
	}
	goleak.VerifyNone(t, before)
}

// Leave "removes this actor from the named group" — also while its
// recovery is on its way: nothing of the group reaches it after, and it may
// recover again, each publication once.
func TestProbeLeaveDuringRecovery(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 100}})
	for i := range 5 {
		probeAck(t, sys, "h", fmt.Sprint(i), fmt.Sprint("p", i))
	}
	a, ac := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error {
		if err := c.JoinSince("h", actor.Position{}); err != nil {
			return err
		}
		c.Leave("h")
		return nil
	}))
	probeDrain(ac, 200*time.Millisecond)
	probeAck(t, sys, "h", "after", "after leave")
	probeQuiet(t, ac, 100*time.Millisecond, "left during its recovery")
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinSince("h", actor.Position{}) }))
	var msgs []string
	for {
		g := recv(t, ac)
		if r, ok := g.msg.(actor.Recovered); ok {
			require.NoError(t, r.Err)
			require.Equal(t, 6, r.Count)
			break
		}
		msgs = append(msgs, g.msg.(string))
	}
	require.Equal(t, []string{"p0", "p1", "p2", "p3", "p4", "after leave"}, msgs)
	probeQuiet(t, ac, 50*time.Millisecond, "nothing more")
}

// JoinSince, Leave, JoinSince in one turn: the second recovery is the one
// that counts — "none is missing and none comes twice at the seam".
func TestProbeRejoinDuringRecovery(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "h", History: 100}})
	var pos []actor.Position
	for i := range 5 {
		pos = append(pos, probeAck(t, sys, "h", fmt.Sprint(i), fmt.Sprint("p", i)).Position)
	}
	a, ac := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error {
		if err := c.JoinSince("h", pos[1]); err != nil {
			return err
		}
		c.Leave("h")
		return c.JoinSince("h", pos[3])
	}))
	gs := probeDrain(ac, 300*time.Millisecond)
	seen := map[actor.Position]int{}
	var good int
	for _, g := range gs {
		switch m := g.msg.(type) {
		case string:
			require.True(t, g.isPb)
			seen[g.pub.Position]++
		case actor.Recovered:
			if m.Err == nil && m.Since == pos[3] {
				good++
			}
		}
	}
	require.Equal(t, 1, good, "one Recovered for the recovery that stands: %v", gs)
	require.Equal(t, map[actor.Position]int{pos[4]: 1}, seen, "only what follows pos[3], once")
	probeAck(t, sys, "h", "live", "live")
	s, _ := next[string](t, ac)
	require.Equal(t, "live", s)
	probeQuiet(t, ac, 50*time.Millisecond, "once")
}

// Guide: "Publications to such a group are delivered from the store, in
// the order of positions, to this node's members as to the others' — one
// trip through the store even for the publisher's own shard."
func TestProbeOrderAcrossShards(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "o", History: 10_000}})
	type pup struct {
		id actor.ID
		ch chan got
	}
	var pubs, mems []pup
	for range 3 {
		id, ch := spawnPuppet(t, sys)
		require.NoError(t, on(t, sys, id, func(c *actor.Context) error { c.Join("o"); return nil }))
		mems = append(mems, pup{id, ch})
	}
	for range 3 {
		id, ch := spawnPuppet(t, sys)
		pubs = append(pubs, pup{id, ch})
	}
	pubs = append(pubs, mems[0]) // a member publishing too
	var wg sync.WaitGroup
	sent := make(chan int, len(pubs))
	for i, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			errc := make(chan error, 1)
			if err := sys.Send(p.id, do(func(c *actor.Context) {
				for j := range 100 {
					if err := c.Publish("o", fmt.Sprint(i, ":", j)); err != nil {
						if !errors.Is(err, actor.ErrStoreBusy) {
							errc <- err
							return
						}
						continue
					}
					n++
				}
				errc <- nil
			})); err != nil {
				sent <- -1
				return
			}
			if err := <-errc; err != nil {
				sent <- -1
				return
			}
			sent <- n
		}()
	}
	wg.Wait()
	close(sent)
	total := 0
	for n := range sent {
		require.GreaterOrEqual(t, n, 0)
		total += n
	}
	var first []actor.Position
	for k, m := range mems {
		var ps []actor.Position
		last := map[string]int{}
		for range total {
			s, g := next[string](t, m.ch)
			require.True(t, g.isPb)
			if len(ps) > 0 {
				require.Greater(t, g.pub.Position.Seq, ps[len(ps)-1].Seq, "member %d: in the order of positions", k)
			}
			ps = append(ps, g.pub.Position)
			var who string
			var j int
			_, err := fmt.Sscanf(strings.Replace(s, ":", " ", 1), "%s %d", &who, &j)
			require.NoError(t, err)
			if l, ok := last[who]; ok {
				require.Greater(t, j, l, "one publisher's publications in its order")
			}
			last[who] = j
		}
		if k == 0 {
			first = ps
		} else {
			require.Equal(t, first, ps, "every member sees one order")
		}
		probeQuiet(t, m.ch, 20*time.Millisecond, "each once")
	}
}

// WatchPresence: "Watching twice is a no-op"; UnwatchPresence "stops
// WatchPresence"; a watcher's end stops it too.
func TestProbeWatchTwiceUnwatchOnce(t *testing.T) {
	sys := storeSystem(t, []actor.GroupSettings{{Pattern: "lobby", Presence: true}})
	w, wc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, w, func(c *actor.Context) error {
		if err := c.WatchPresence("lobby"); err != nil {
			return err
		}
		return c.WatchPresence("lobby")
	}))
	a, _ := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinWith("lobby", actor.JoinOptions{Info: "a"}) }))
	next[actor.Presence](t, wc)
	probeQuiet(t, wc, 50*time.Millisecond, "watching twice: one event")
	require.NoError(t, on(t, sys, w, func(c *actor.Context) error { c.UnwatchPresence("lobby"); c.UnwatchPresence("nothing"); return nil }))
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { c.Leave("lobby"); return nil }))
	probeQuiet(t, wc, 100*time.Millisecond, "one Unwatch after two Watch stops")

	// A watcher that stops: joins after it go nowhere, harmlessly.
	v, vc := spawnPuppet(t, sys)
	require.NoError(t, on(t, sys, v, func(c *actor.Context) error { return c.WatchPresence("lobby") }))
	require.NoError(t, on(t, sys, v, func(c *actor.Context) error { c.Stop(); return nil }))
	next[actor.Stopped](t, vc)
	require.NoError(t, on(t, sys, a, func(c *actor.Context) error { return c.JoinWith("lobby", actor.JoinOptions{Info: "a"}) }))
	probeQuiet(t, vc, 100*time.Millisecond, "a stopped watcher")
}
