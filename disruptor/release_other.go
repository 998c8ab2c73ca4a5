//go:build !amd64 || race

package disruptor

import "sync/atomic"

// releasePlain reports that storeRelease is a plain store; here it is not:
// a sequentially consistent store stands in for it (other architectures,
// and race-detector builds, whose detector sees only atomic operations).
const releasePlain = false

// storeRelease stores v at addr, here with a sequentially consistent store.
func storeRelease(addr *int64, v int64) { atomic.StoreInt64(addr, v) }
