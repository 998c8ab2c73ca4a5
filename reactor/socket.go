package reactor

import (
	"os"

	"golang.org/x/sys/unix"
)

// Close closes fd. Closing also drops it from any poller (once no duplicate
// of it remains).
//
// Concurrency: safe from any goroutine; the fd number may be reused at once,
// so nothing may use fd after Close.
func Close(fd int) error {
	if err := unix.Close(fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// Shutdown shuts down part of a full-duplex connection: how is unix.SHUT_RD,
// unix.SHUT_WR or unix.SHUT_RDWR.
//
// Concurrency: safe from any goroutine.
func Shutdown(fd int, how int) error {
	if err := unix.Shutdown(fd, how); err != nil {
		return os.NewSyscallError("shutdown", err)
	}
	return nil
}
