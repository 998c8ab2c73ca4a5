package reactor

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// PeerKey is a comparable form of a datagram peer's IP address and port, so
// a loop can map peers to state without allocating per datagram.
type PeerKey struct {
	IP   [16]byte // IPv4 addresses in the first four bytes when !V6
	Port uint16
	V6   bool
}

// Sockaddr returns the peer as a unix.Sockaddr for SendTo. It allocates;
// call it once per new peer.
func (k PeerKey) Sockaddr() unix.Sockaddr {
	if k.V6 {
		return &unix.SockaddrInet6{Port: int(k.Port), Addr: k.IP}
	}
	sa := &unix.SockaddrInet4{Port: int(k.Port)}
	copy(sa.Addr[:], k.IP[:4])
	return sa
}

// keyOf converts a Sockaddr to a PeerKey.
func keyOf(sa unix.Sockaddr) PeerKey {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		var k PeerKey
		copy(k.IP[:], a.Addr[:])
		k.Port = uint16(a.Port)
		return k
	case *unix.SockaddrInet6:
		return PeerKey{IP: a.Addr, Port: uint16(a.Port), V6: true}
	}
	return PeerKey{}
}

// ListenPacket opens a nonblocking, close-on-exec UDP socket bound to
// address (network udp, udp4 or udp6), with SO_REUSEADDR, and SO_REUSEPORT
// when asked, and returns its descriptor and bound address.
//
// Concurrency: safe from any goroutine.
func ListenPacket(network, address string, opts ListenOptions) (fd int, addr net.Addr, err error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return -1, nil, fmt.Errorf("%w: %q", ErrUnknownNetwork, network)
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(s uintptr) {
			serr = unix.SetsockoptInt(int(s), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			if serr == nil && opts.ReusePort {
				serr = unix.SetsockoptInt(int(s), unix.SOL_SOCKET, reusePortOpt, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), network, address)
	if err != nil {
		return -1, nil, err
	}
	defer pc.Close()
	raw, err := pc.(syscall.Conn).SyscallConn()
	if err != nil {
		return -1, nil, err
	}
	var dupErr error
	if err := raw.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, nil, err
	}
	if dupErr != nil {
		return -1, nil, dupErr
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	return fd, pc.LocalAddr(), nil
}

// SendTo sends p as one datagram to sa. Errors are bare unix.Errno values
// (unix.EAGAIN when the socket buffer is full: the datagram is not sent).
//
// Concurrency: safe from any goroutine.
func SendTo(fd int, p []byte, sa unix.Sockaddr) error {
	return unix.Sendto(fd, p, 0, sa)
}
