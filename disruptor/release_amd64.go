//go:build amd64 && !race

package disruptor

// releasePlain reports that storeRelease is a plain store, cheaper than a
// sequentially consistent one.
const releasePlain = true

// storeRelease stores v at addr with release ordering: every store before it
// is visible to a goroutine that loads v (atomically) and sees the value,
// but a load after it may be carried out before it is visible (no full
// fence). Implemented in release_amd64.s.
//
//go:noescape
func storeRelease(addr *int64, v int64)
