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

// SetRecvBuffer sets the socket's receive buffer (SO_RCVBUF) to about n
// bytes; the kernel may round it (Linux doubles it for its bookkeeping) and
// caps it at its configured maximum.
//
// Concurrency: safe from any goroutine.
func SetRecvBuffer(fd, n int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, n); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}

// SetSendBuffer sets the socket's send buffer (SO_SNDBUF) to about n bytes,
// rounded and capped by the kernel like SetRecvBuffer.
//
// Concurrency: safe from any goroutine.
func SetSendBuffer(fd, n int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, n); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}

// SetLingerZero sets SO_LINGER with a zero timeout, so closing the socket
// drops whatever it still holds to send and resets the connection (the peer
// sees ECONNRESET) instead of a graceful end: the kernel frees the socket's
// buffers at once, even if the peer never reads again.
//
// Concurrency: safe from any goroutine.
func SetLingerZero(fd int) error {
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
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
