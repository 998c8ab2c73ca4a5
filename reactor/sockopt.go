package reactor

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// SetNoDelay sets TCP_NODELAY: on disables Nagle's algorithm.
//
// Concurrency: safe from any goroutine.
func SetNoDelay(fd int, on bool) error {
	return setsockoptBool(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, on)
}

// SetKeepAlive enables TCP keep-alive with period (rounded up to whole
// seconds) as both the idle time before the first probe and the interval
// between probes. period <= 0 disables keep-alive.
//
// Concurrency: safe from any goroutine.
func SetKeepAlive(fd int, period time.Duration) error {
	if period <= 0 {
		return setsockoptBool(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, false)
	}
	secs := int((period + time.Second - 1) / time.Second)
	if err := setsockoptBool(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, true); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, tcpKeepIdle, secs); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}

// setsockoptBool sets an int socket option to 0 or 1.
func setsockoptBool(fd, level, opt int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}
