package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
)

// Coalesced recoveries (store_coalesce.go): many recoveries of groups of
// one stream, waiting at once, read with one scan of the stream.

// deepRooms keeps every publication of these tests.
var deepRooms = actor.GroupSettings{Pattern: "room:*", History: 10_000, MaxReplay: 10_000}

// publishRounds publishes rounds publications to each of groups, round
// robin (so the groups' messages interleave in the stream), and returns
// each group's positions and messages, in order; the keys are prefix
// and the round.
func publishRounds(t *testing.T, n *storeNode, groups []string, prefix string, rounds int) map[string][]actor.Publication {
	t.Helper()
	type sent struct {
		a   ackd
		msg Chat
	}
	acks := make(chan sent, len(groups)*rounds)
	for i := range rounds {
		for _, g := range groups {
			msg := Chat{From: g, Text: strconv.Itoa(i)}
			err := n.store.Publish(&actor.Publication{Group: g, From: 7, Msg: msg}, prefix+strconv.Itoa(i), func(p actor.Published, err error) { acks <- sent{ackd{p, err}, msg} })
			require.NoError(t, err)
		}
	}
	out := make(map[string][]actor.Publication)
	for range len(groups) * rounds {
		select {
		case s := <-acks:
			require.NoError(t, s.a.err)
			out[s.a.p.Group] = append(out[s.a.p.Group], actor.Publication{Group: s.a.p.Group, Position: s.a.p.Position, From: 7, Msg: s.msg})
		case <-time.After(waitFor):
			t.Fatal("an ack missing")
		}
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(a, b actor.Publication) int { return int(a.Position.Seq) - int(b.Position.Seq) })
	}
	return out
}

// recoveryCase is one recovery of readTogether.
type recoveryCase struct {
	group string
	since actor.Position
	max   int // Read's max (0: the settings' MaxReplay)
}

type recoveryAnswer struct {
	h   actor.History
	err error
}

// readTogether submits every recovery of cases at once (so they wait
// together for the store's workers) and returns their answers, in the
// order of cases.
func readTogether(t *testing.T, n *storeNode, cases []recoveryCase) []recoveryAnswer {
	t.Helper()
	type answer struct {
		i int
		recoveryAnswer
	}
	got := make(chan answer, len(cases))
	for i, c := range cases {
		n.store.Read(c.group, true, c.since, 0, c.max, func(h actor.History, err error) { got <- answer{i, recoveryAnswer{h, err}} })
	}
	out := make([]recoveryAnswer, len(cases))
	seen := make([]bool, len(cases))
	for range cases {
		select {
		case a := <-got:
			require.False(t, seen[a.i], "recovery %d answered twice", a.i)
			seen[a.i] = true
			out[a.i] = a.recoveryAnswer
		case <-time.After(waitFor):
			t.Fatal("a recovery not answered")
		}
	}
	select {
	case a := <-got:
		t.Fatalf("recovery %d answered twice", a.i)
	case <-time.After(50 * time.Millisecond): // (a late second answer would show here)
	}
	return out
}

// requireRecovered checks that a is the recovery of group from since:
// exactly its publications after since, in order, with its Latest and
// Oldest.
func requireRecovered(t *testing.T, a recoveryAnswer, pubs []actor.Publication, since actor.Position) {
	t.Helper()
	require.NoError(t, a.err)
	var want []actor.Publication
	for _, p := range pubs {
		if p.Position.Seq > since.Seq {
			want = append(want, p)
		}
	}
	require.Equal(t, pubs[len(pubs)-1].Position, a.h.Latest, "latest")
	require.Equal(t, pubs[0].Position, a.h.Oldest, "oldest")
	require.Len(t, a.h.Publications, len(want), "recovery of %s from %v", pubs[0].Group, since)
	for i, p := range a.h.Publications {
		require.Equal(t, want[i], p, "recovery of %s from %v: publication %d", pubs[0].Group, since, i)
	}
}

// Many recoveries of interleaved groups, waiting together, are coalesced,
// and each gets exactly its group's publications after its since, in
// order, the last included, with its Latest and Oldest: recoveries from
// every depth, two of one group from different positions, one from the
// start of the epoch, one at its latest (nothing to read), the group
// whose latest ends the stream and one that stopped early.
func TestStoreCoalescedRecoveries(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "coal", 1, deepRooms)
	var groups []string
	for i := range 40 {
		groups = append(groups, fmt.Sprint("room:", i))
	}
	early := "room:early" // its messages stop before the others'
	pubs := publishRounds(t, n, append(slices.Clone(groups), early), "a", 10)
	for g, ps := range publishRounds(t, n, groups, "b", 20) {
		pubs[g] = append(pubs[g], ps...)
	}
	epoch := pubs[groups[0]][0].Position.Epoch
	var cases []recoveryCase
	for i, g := range groups {
		cases = append(cases, recoveryCase{group: g, since: pubs[g][i%len(pubs[g])].Position})
	}
	cases = append(cases,
		recoveryCase{group: groups[3], since: pubs[groups[3]][25].Position}, // a second of one group
		recoveryCase{group: groups[5], since: actor.Position{Epoch: epoch}}, // from the start
		recoveryCase{group: groups[7], since: pubs[groups[7]][29].Position}, // at its latest
		recoveryCase{group: early, since: pubs[early][2].Position},
	)
	before := n.node.CoalescedRecoveries()
	answers := readTogether(t, n, cases)
	for i, c := range cases {
		since := c.since
		requireRecovered(t, answers[i], pubs[c.group], since)
	}
	require.Greater(t, n.node.CoalescedRecoveries()-before, int64(len(cases)/2), "the recoveries are coalesced")
}

// In a coalesced batch each recovery keeps its own answer: a future
// position is ErrFuturePosition, another epoch ErrOtherEpoch, a recovery
// with more than its max after since ErrTooFarBehind; the others recover.
// And a hole in the stream (a deleted message of another group) before a
// group's first message does not fail it.
func TestStoreCoalescedRecoveriesErrors(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "coalerr", 1, deepRooms)
	var groups []string
	for i := range 20 {
		groups = append(groups, fmt.Sprint("room:", i))
	}
	pubs := publishRounds(t, n, groups, "a", 30)
	epoch := pubs[groups[0]][0].Position.Epoch
	// A hole: room:1's 11th publication, deleted: before room:1's first
	// message after its since (its 10th).
	js := jsOf(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var name string
	for s := range js.StreamNames(ctx).Name() {
		if strings.HasPrefix(s, "SHOAL_coalerr_H_") {
			name = s
		}
	}
	st, err := js.Stream(ctx, name)
	require.NoError(t, err)
	require.NoError(t, st.DeleteMsg(ctx, pubs["room:1"][10].Position.Seq))
	pubs["room:1"] = slices.Delete(pubs["room:1"], 10, 11)

	last := pubs[groups[len(groups)-1]][29].Position
	cases := []recoveryCase{
		{group: groups[2], since: actor.Position{Epoch: epoch, Seq: last.Seq + 100}},                      // future
		{group: groups[3], since: actor.Position{Epoch: epoch + 1, Seq: 5}},                               // another epoch
		{group: groups[4], since: pubs[groups[4]][0].Position, max: 10},                                   // 29 after since
		{group: groups[5], since: pubs[groups[5]][19].Position, max: 10},                                  // exactly 10
		{group: groups[0], since: pubs[groups[0]][9].Position},                                            // the hole after its first
		{group: groups[1], since: pubs[groups[1]][9].Position},                                            // its own message deleted after since
		{group: groups[6], since: actor.Position{Epoch: epoch, Seq: pubs[groups[6]][0].Position.Seq - 1}}, // just before its first
	}
	for _, g := range groups[7:] {
		cases = append(cases, recoveryCase{group: g, since: pubs[g][3].Position})
	}
	before := n.node.CoalescedRecoveries()
	answers := readTogether(t, n, cases)
	require.ErrorIs(t, answers[0].err, actor.ErrFuturePosition)
	require.ErrorIs(t, answers[1].err, actor.ErrOtherEpoch)
	require.ErrorIs(t, answers[2].err, actor.ErrTooFarBehind)
	require.Empty(t, answers[2].h.Publications)
	for i, c := range cases[3:] {
		requireRecovered(t, answers[3+i], pubs[c.group], c.since)
	}
	require.Greater(t, n.node.CoalescedRecoveries()-before, int64(len(cases)/2), "the recoveries are coalesced")
}

// Recoveries waiting for their scan when the store stops are each answered
// once: recovered, or with an error.
func TestStoreCoalescedRecoveriesStop(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "coalstop", 1, deepRooms)
	var groups []string
	for i := range 20 {
		groups = append(groups, fmt.Sprint("room:", i))
	}
	pubs := publishRounds(t, n, groups, "a", 30)
	got := make(chan int, 10*len(groups))
	for i := range 10 * len(groups) {
		g := groups[i%len(groups)]
		n.store.Read(g, true, pubs[g][i%30].Position, 0, 0, func(actor.History, error) { got <- i })
	}
	n.stop(t)
	seen := make(map[int]bool)
	for range 10 * len(groups) {
		select {
		case i := <-got:
			require.False(t, seen[i], "recovery %d answered twice", i)
			seen[i] = true
		case <-time.After(waitFor):
			t.Fatalf("%d recoveries not answered", 10*len(groups)-len(seen))
		}
	}
	select {
	case i := <-got:
		t.Fatalf("recovery %d answered twice", i)
	case <-time.After(50 * time.Millisecond):
	}
}
