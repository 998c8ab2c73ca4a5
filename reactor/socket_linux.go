//go:build linux

package reactor

import (
	"os"

	"golang.org/x/sys/unix"
)

// Socket options whose names differ between kernels.
const (
	// tcpKeepIdle sets the idle time before the first keep-alive probe.
	tcpKeepIdle = unix.TCP_KEEPIDLE
	// reusePortOpt lets several sockets bind one port and spreads incoming
	// connections across them.
	reusePortOpt = unix.SO_REUSEPORT
)

// sysSocket creates a nonblocking, close-on-exec socket in one call.
func sysSocket(family, typ, proto int) (int, error) {
	fd, err := unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// Accept takes one pending connection from the nonblocking listener lfd with
// accept4(SOCK_NONBLOCK|SOCK_CLOEXEC) and returns its fd and peer address.
// EINTR and ECONNABORTED (a peer that gave up while queued) are retried.
// Errors are bare unix.Errno values — unix.EAGAIN when no connection is
// pending, unix.EMFILE when out of fds — so the accept loop compares them with
// == (or errors.Is) without allocating. It allocates the Sockaddr.
//
// Concurrency: safe from any goroutine (several may accept on one listener).
func Accept(lfd int) (fd int, sa unix.Sockaddr, err error) {
	for {
		fd, sa, err = unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch err {
		case nil:
			return fd, sa, nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		}
		return -1, nil, err
	}
}
