package disruptor

import (
	"sync"

	"golang.org/x/sys/unix"
)

// membarrier(2) commands.
const (
	membarrierPrivateExpedited         = 1 << 3
	membarrierRegisterPrivateExpedited = 1 << 4
)

var (
	barrierOnce sync.Once
	barrierOK   bool
)

// processBarrierAvailable reports whether processBarrier works here,
// registering this process for it the first time.
func processBarrierAvailable() bool {
	barrierOnce.Do(func() {
		_, _, e := unix.Syscall(unix.SYS_MEMBARRIER, membarrierRegisterPrivateExpedited, 0, 0)
		barrierOK = e == 0
	})
	return barrierOK
}

// processBarrier makes every thread of the process that is running execute a
// full memory barrier before it returns (membarrier(2), private expedited):
// a store another thread made before this call is visible after it.
func processBarrier() {
	_, _, _ = unix.Syscall(unix.SYS_MEMBARRIER, membarrierPrivateExpedited, 0, 0)
}
