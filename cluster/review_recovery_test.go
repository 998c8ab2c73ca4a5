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
func TestReviewSingleRecoveryDroppedAfterHead(t *testing.T) {
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
