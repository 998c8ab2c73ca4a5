package reactor

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// ListenOptions tune Listen.
type ListenOptions struct {
	// ReusePort sets SO_REUSEPORT (SO_REUSEPORT_LB on FreeBSD) so several
	// listeners — one per shard — can bind the same address and the kernel
	// spreads connections across them.
	ReusePort bool
	// Backlog is the accept queue length; 0 means the system maximum
	// (the kernel clamps any larger value to its somaxconn).
	Backlog int
}

// maxBacklog asks for the largest accept queue: every supported kernel clamps
// a larger backlog to its configured somaxconn.
const maxBacklog = 1<<16 - 1

// Listen opens a nonblocking, close-on-exec listening socket and returns its
// fd and bound address (*net.TCPAddr or *net.UnixAddr).
//
// network is tcp, tcp4, tcp6 or unix. TCP sockets get SO_REUSEADDR. As with
// net.Listen, "tcp" with a wildcard host ("", "0.0.0.0" or "::") listens on a
// dual-stack IPv6 socket where the system has IPv6, and on IPv4 otherwise;
// tcp6 sets IPV6_V6ONLY. For unix, address is a path (or "@name" for a Linux
// abstract socket); if the path is taken by a socket file that nobody listens
// on (connect is refused), the stale file is removed and bind retried —
// other files, and live sockets, are left alone and reported as EADDRINUSE.
// Listen does not remove the socket file on Close; the caller does.
//
// Syscall failures are *os.SyscallError ("socket", "bind", "listen", ...), so
// errors.Is(err, unix.EADDRINUSE) works.
//
// Concurrency: safe from any goroutine.
func Listen(network, address string, opts ListenOptions) (fd int, addr net.Addr, err error) {
	backlog := opts.Backlog
	if backlog <= 0 {
		backlog = maxBacklog
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		return listenTCP(network, address, opts.ReusePort, backlog)
	case "unix":
		return listenUnix(address, backlog)
	}
	return -1, nil, fmt.Errorf("%w: %q", ErrUnknownNetwork, network)
}

// listenTCP resolves address and listens on it.
func listenTCP(network, address string, reusePort bool, backlog int) (int, net.Addr, error) {
	ta, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return -1, nil, err
	}
	wildcard := ta.IP == nil || ta.IP.IsUnspecified()
	ip4 := ta.IP.To4()
	switch {
	case network == "tcp4" || (network == "tcp" && ip4 != nil && !wildcard):
		if ip4 == nil {
			ip4 = net.IPv4zero.To4()
		}
		sa := &unix.SockaddrInet4{Port: ta.Port}
		copy(sa.Addr[:], ip4)
		return listenInet(network, unix.AF_INET, sa, false, reusePort, backlog)
	case network == "tcp" && wildcard:
		sa := &unix.SockaddrInet6{Port: ta.Port}
		fd, addr, err := listenInet(network, unix.AF_INET6, sa, false, reusePort, backlog)
		if errors.Is(err, unix.EAFNOSUPPORT) {
			return listenInet(network, unix.AF_INET, &unix.SockaddrInet4{Port: ta.Port}, false, reusePort, backlog)
		}
		return fd, addr, err
	default: // tcp6, or tcp with a specific IPv6 address
		sa := &unix.SockaddrInet6{Port: ta.Port, ZoneId: zoneIndex(ta.Zone)}
		if ta.IP != nil {
			copy(sa.Addr[:], ta.IP.To16())
		}
		return listenInet(network, unix.AF_INET6, sa, network == "tcp6", reusePort, backlog)
	}
}

// listenInet creates, configures, binds and listens one TCP socket.
func listenInet(network string, family int, sa unix.Sockaddr, v6only, reusePort bool, backlog int) (fd int, addr net.Addr, err error) {
	fd, err = sysSocket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, nil, err
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
			fd = -1
		}
	}()
	if family == unix.AF_INET6 {
		if err = setsockoptBool(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return
		}
	}
	if err = setsockoptBool(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, true); err != nil {
		return
	}
	if reusePort {
		if err = setsockoptBool(fd, unix.SOL_SOCKET, reusePortOpt, true); err != nil {
			return
		}
	}
	if err = unix.Bind(fd, sa); err != nil {
		return fd, nil, os.NewSyscallError("bind", err)
	}
	return listenAndName(network, fd, backlog)
}

// listenUnix listens on a unix stream socket at path, replacing a stale
// socket file.
func listenUnix(path string, backlog int) (fd int, addr net.Addr, err error) {
	fd, err = sysSocket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, nil, err
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
			fd = -1
		}
	}()
	sa := &unix.SockaddrUnix{Name: path}
	err = unix.Bind(fd, sa)
	if err == unix.EADDRINUSE && staleUnixSocket(path) {
		if rmErr := os.Remove(path); rmErr == nil {
			err = unix.Bind(fd, sa)
		}
	}
	if err != nil {
		return fd, nil, os.NewSyscallError("bind", err)
	}
	return listenAndName("unix", fd, backlog)
}

// staleUnixSocket reports whether path is a socket file with no listener: a
// file (not an abstract name), of socket type, to which connect is refused.
func staleUnixSocket(path string) bool {
	if path == "" || path[0] == '@' {
		return false
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false
	}
	probe, err := sysSocket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return false
	}
	defer unix.Close(probe)
	return unix.Connect(probe, &unix.SockaddrUnix{Name: path}) == unix.ECONNREFUSED
}

// listenAndName calls listen and returns the bound address.
func listenAndName(network string, fd, backlog int) (int, net.Addr, error) {
	if err := unix.Listen(fd, backlog); err != nil {
		return fd, nil, os.NewSyscallError("listen", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fd, nil, os.NewSyscallError("getsockname", err)
	}
	return fd, SockaddrToAddr(network, sa), nil
}
