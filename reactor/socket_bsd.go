//go:build darwin || freebsd

package reactor

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysSocket creates a nonblocking, close-on-exec socket. The fork lock keeps
// a concurrent fork+exec from inheriting it before FD_CLOEXEC is set.
func sysSocket(family, typ, proto int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, typ, proto)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl", err)
	}
	return fd, nil
}

// Accept takes one pending connection from the nonblocking listener lfd and
// makes it nonblocking and close-on-exec (accept, then fcntl: there is no
// accept4 on macOS). EINTR and ECONNABORTED are retried. Errors are bare
// unix.Errno values — unix.EAGAIN when no connection is pending — so the
// accept loop compares them with == (or errors.Is).
//
// Concurrency: safe from any goroutine.
func Accept(lfd int) (fd int, sa unix.Sockaddr, err error) {
	for {
		syscall.ForkLock.RLock()
		fd, sa, err = unix.Accept(lfd)
		if err == nil {
			unix.CloseOnExec(fd)
		}
		syscall.ForkLock.RUnlock()
		switch err {
		case nil:
		case unix.EINTR, unix.ECONNABORTED:
			continue
		default:
			return -1, nil, err
		}
		if err = unix.SetNonblock(fd, true); err != nil {
			unix.Close(fd)
			return -1, nil, err
		}
		return fd, sa, nil
	}
}
