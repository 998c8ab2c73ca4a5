//go:build !linux

package disruptor

// processBarrierAvailable reports whether processBarrier works here: only
// on Linux (membarrier).
func processBarrierAvailable() bool { return false }

func processBarrier() {}
