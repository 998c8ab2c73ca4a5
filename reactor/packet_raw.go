//go:build linux || freebsd

package reactor

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// RecvFrom reads one datagram into p through a raw system call and returns
// its length and sender, without allocating. Errors are bare unix.Errno
// values (unix.EAGAIN when none is waiting). A datagram longer than p is
// truncated.
//
// Concurrency: safe from any goroutine.
func RecvFrom(fd int, p []byte) (n int, from PeerKey, err error) {
	var rsa unix.RawSockaddrAny
	alen := uint32(unsafe.Sizeof(rsa))
	r, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(base(p)), uintptr(len(p)),
		0, uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&alen)))
	if e != 0 {
		return 0, PeerKey{}, e
	}
	n = int(r)
	if raceEnabled && n > 0 {
		raceWriteRange(unsafe.Pointer(&p[0]), n)
		raceAcquire(unsafe.Pointer(&ioSync))
	}
	switch rsa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		copy(from.IP[:], a.Addr[:])
		from.Port = binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&a.Port))[:])
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		from.IP, from.V6 = a.Addr, true
		from.Port = binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&a.Port))[:])
	}
	return n, from, nil
}
