//go:build !race && (linux || freebsd)

package reactor

import "unsafe"

const raceEnabled = false

func raceAcquire(unsafe.Pointer)         {}
func raceReleaseMerge(unsafe.Pointer)    {}
func raceReadRange(unsafe.Pointer, int)  {}
func raceWriteRange(unsafe.Pointer, int) {}
