//go:build darwin

package reactor

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Socket options whose names differ between kernels.
const (
	// tcpKeepIdle sets the idle time before the first keep-alive probe.
	tcpKeepIdle = unix.TCP_KEEPALIVE
	// reusePortOpt lets several sockets bind one port.
	reusePortOpt = unix.SO_REUSEPORT
)

// pipeCloexec creates a close-on-exec pipe; macOS has no pipe2, so the
// fork lock keeps a concurrent fork+exec from inheriting it.
func pipeCloexec(p []int) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := unix.Pipe(p); err != nil {
		return err
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	return nil
}
