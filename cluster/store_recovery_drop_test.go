package cluster_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
)

// A recovery alone (no other waiting: the per-group path of recoverLater)
// whose group's next messages the count limit drops between its head and
// its scan: since+1 is gone when the scan runs, and the recovery must be
// ErrHistoryLost, as the coalesced path and read's own check say, not a
// partial answer that skips the dropped messages without a word.
func TestStoreRecoveryAloneDroppedAfterHead(t *testing.T) {
	url := jsServer(t, true)
	lim := actor.GroupSettings{Pattern: "lim:*", History: 3, MaxReplay: 100}
	n := startStore(t, url, "rv", 1, lim)
	var pos []actor.Position
	for i := range 5 {
		p, err := n.publish(t, "lim:a", Chat{From: "a", Text: string(rune('0' + i))}, "")
		require.NoError(t, err)
		pos = append(pos, p.Position)
	}
	// Kept: 3, 4, 5. since = 2: its next (3) is the oldest kept, fine at
	// the head.
	since := pos[1]
	h, err := n.node.RecoverSplit("lim:a", since, func() {
		// Two more: 3 and 4 are dropped (kept: 5, 6, 7).
		for i := range 2 {
			_, err := n.publish(t, "lim:a", Chat{From: "a", Text: "late" + string(rune('0'+i))}, "")
			require.NoError(t, err)
		}
	})
	if err == nil {
		var seqs []uint64
		for _, p := range h.Publications {
			seqs = append(seqs, p.Position.Seq)
		}
		t.Fatalf("recovery from %v answered %v without an error: publications %d and %d, stored after since, are skipped silently (want ErrHistoryLost)", since, seqs, pos[2].Seq, pos[3].Seq)
	}
	require.ErrorIs(t, err, actor.ErrHistoryLost)
}

// The same on the coalesced path: the scan sees the hole before the
// group's first message and the oldest read again says since+1 is gone.
// (Passes: the coalesced path checks what the per-group one does not.)
func TestStoreCoalescedRecoveryDroppedAfterHead(t *testing.T) {
	url := jsServer(t, true)
	lim := actor.GroupSettings{Pattern: "lim:*", History: 4, MaxReplay: 100}
	n := startStore(t, url, "rv", 1, lim)
	groups := []string{"lim:0", "lim:1", "lim:2", "lim:3", "lim:4", "lim:5", "lim:6", "lim:7"}
	pos := map[string][]actor.Position{}
	for r := range 5 {
		for _, g := range groups {
			p, err := n.publish(t, g, Chat{From: g, Text: string(rune('0' + r))}, "")
			require.NoError(t, err)
			pos[g] = append(pos[g], p.Position)
		}
	}
	var since []actor.Position
	for _, g := range groups {
		since = append(since, pos[g][1])
	}
	before := n.node.CoalescedRecoveries()
	hs, errs := n.node.RecoverSplitMany(groups, since, func() {
		for i := range 2 {
			_, err := n.publish(t, "lim:0", Chat{From: "lim:0", Text: "late" + string(rune('0'+i))}, "")
			require.NoError(t, err)
		}
	})
	require.Greater(t, n.node.CoalescedRecoveries(), before, "coalesced")
	require.ErrorIs(t, errs[0], actor.ErrHistoryLost)
	for i := 1; i < len(groups); i++ {
		require.NoError(t, errs[i], groups[i])
		require.Len(t, hs[i].Publications, 3, groups[i])
	}
}
