//go:build freebsd

package reactor

import "golang.org/x/sys/unix"

// Socket options whose names differ between kernels.
const (
	// tcpKeepIdle sets the idle time before the first keep-alive probe.
	tcpKeepIdle = unix.TCP_KEEPIDLE
	// reusePortOpt lets several sockets bind one port and spreads incoming
	// connections across them (SO_REUSEPORT_LB, FreeBSD 12+).
	reusePortOpt = unix.SO_REUSEPORT_LB
)

// pipeCloexec creates a close-on-exec pipe.
func pipeCloexec(p []int) error {
	return unix.Pipe2(p, unix.O_CLOEXEC)
}
