package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
)

// History reads through batched direct gets (store_direct.go).

// The last n of a group are read backwards in windows of sequences
// (lastN): whatever the group's density in its stream (dense, sparse among
// another group's publications, dense again), a read of the last n gives
// exactly the last n, in order, for n below, at and past what is held, and
// across batches of directBatch.
func TestStoreReadLastWindows(t *testing.T) {
	url := jsServer(t, true)
	deep := actor.GroupSettings{Pattern: "room:*", History: 10_000, MaxReplay: 10_000}
	n := startStore(t, url, "last", 1, deep)
	var pos []actor.Position // room:a's
	pos = append(pos, publishMany(t, n, "room:a", "dense", 300)...)
	for i := range 60 {
		pos = append(pos, publishMany(t, n, "room:a", fmt.Sprint("sparse", i), 1)...)
		publishMany(t, n, "room:b", fmt.Sprint("noise", i), 40)
	}
	pos = append(pos, publishMany(t, n, "room:a", "recent", 100)...)
	for _, k := range []int{1, 2, 50, 100, 101, 130, 161, 300, 459, 460, 461, 5000} {
		for _, recover := range []bool{true, false} {
			h, err := n.read(t, "room:a", recover, actor.Position{}, k, 0)
			require.NoError(t, err)
			want := pos[max(len(pos)-k, 0):]
			require.Len(t, h.Publications, len(want), "the last %d (recover %v)", k, recover)
			for i, p := range h.Publications {
				require.Equal(t, want[i], p.Position, "the last %d (recover %v): publication %d", k, recover, i)
				require.Equal(t, "room:a", p.Group)
			}
		}
	}
	// And a recovery from a position, past a batch.
	h, err := n.read(t, "room:a", true, pos[9], 0, 0)
	require.NoError(t, err)
	require.Len(t, h.Publications, len(pos)-10)
	for i, p := range h.Publications {
		require.Equal(t, pos[10+i], p.Position)
	}
}

// A history stream made without AllowDirect (before history reads were
// direct gets) has it turned on when the store starts, and is read.
func TestStoreAllowDirectTurnedOn(t *testing.T) {
	url := jsServer(t, true)
	n := startStore(t, url, "upgrade", 1, rooms)
	pos := publishMany(t, n, "room:a", "a", 5)
	n.stop(t)

	js := jsOf(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var name string
	for s := range js.StreamNames(ctx).Name() {
		if strings.HasPrefix(s, "SHOAL_upgrade_H_") {
			name = s
		}
	}
	require.NotEmpty(t, name)
	allowDirect := func() bool {
		st, err := js.Stream(ctx, name)
		require.NoError(t, err)
		return st.CachedInfo().Config.AllowDirect
	}
	st, err := js.Stream(ctx, name)
	require.NoError(t, err)
	cfg := st.CachedInfo().Config
	cfg.AllowDirect = false
	_, err = js.UpdateStream(ctx, cfg)
	require.NoError(t, err)
	require.False(t, allowDirect())

	n = startStore(t, url, "upgrade", 1, rooms)
	require.True(t, allowDirect(), "the store turns AllowDirect on")
	h, err := n.read(t, "room:a", true, pos[1], 0, 0)
	require.NoError(t, err)
	require.Len(t, h.Publications, 3)
	require.Equal(t, pos[2:], []actor.Position{h.Publications[0].Position, h.Publications[1].Position, h.Publications[2].Position})
}
