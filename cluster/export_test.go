package cluster

import "time"

// SetFeedBuffer makes the nodes created from now on buffer n republished
// messages of history groups (instead of feedBuffer), so a test can force
// slow-consumer drops; restore undoes it.
func SetFeedBuffer(n int) (restore func()) {
	old := testFeedBuffer.Swap(int64(n))
	return func() { testFeedBuffer.Store(old) }
}

// SkipRepublished makes n's live feed of group (which must be followed)
// drop the next k republished messages of it, as if NATS had lost them.
func (n *Node) SkipRepublished(group string, k int) bool {
	f := n.store.followed(group)
	if f == nil {
		return false
	}
	f.skip.Store(int32(k))
	return true
}

// SetSweepEvery makes the running and future group stores' cleaner sweep
// every d (instead of sweepEvery) from their next sweep on; restore undoes
// it.
func SetSweepEvery(d time.Duration) (restore func()) {
	old := testSweepEvery.Swap(int64(d))
	return func() { testSweepEvery.Store(old) }
}
