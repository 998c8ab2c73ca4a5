//go:build race && (linux || freebsd)

package reactor

import (
	"runtime"
	"unsafe"
)

// The raw I/O paths bypass x/sys/unix, so they tell the race detector
// themselves what the kernel read and wrote, exactly as x/sys/unix does.

const raceEnabled = true

func raceAcquire(addr unsafe.Pointer)           { runtime.RaceAcquire(addr) }
func raceReleaseMerge(addr unsafe.Pointer)      { runtime.RaceReleaseMerge(addr) }
func raceReadRange(addr unsafe.Pointer, n int)  { runtime.RaceReadRange(addr, n) }
func raceWriteRange(addr unsafe.Pointer, n int) { runtime.RaceWriteRange(addr, n) }
