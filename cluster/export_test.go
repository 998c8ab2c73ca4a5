package cluster

// SetFeedBuffer makes the nodes created from now on buffer n republished
// messages of history groups (instead of feedBuffer), so a test can force
// slow-consumer drops; restore undoes it.
func SetFeedBuffer(n int) (restore func()) {
	old := testFeedBuffer.Swap(int64(n))
	return func() { testFeedBuffer.Store(old) }
}
