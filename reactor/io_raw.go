//go:build linux || freebsd

package reactor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The hot I/O path. A shard loop only ever reads and writes nonblocking
// sockets, so these calls cannot block in the kernel and skip the runtime's
// entersyscall/exitsyscall bookkeeping by using unix.RawSyscall. The price:
// a raw call holds its P for the duration, which is fine for a syscall that
// returns at once and wrong for one that may sleep — never pass a blocking
// fd to these functions.
//
// Every pointer is converted to uintptr inside the call expression, so the
// compiler keeps the referent alive until the call returns. Errors are bare
// unix.Errno values (boxing an Errno below 256 does not allocate), so a loop
// can test err == unix.EAGAIN without errors.Is.

// zeroBase is what an empty buffer points at, so the kernel never sees a nil
// pointer next to a zero length (the same trick as x/sys/unix's _zero).
var zeroBase uintptr

// ioSync stands for the data that flows through fds: a write releases it and a
// successful read acquires it, so the race detector sees the happens-before a
// socket gives between writer and reader (as x/sys/unix does).
var ioSync int64

// base returns the address of p's first byte, or of zeroBase if p is empty.
func base(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return unsafe.Pointer(&zeroBase)
	}
	return unsafe.Pointer(&p[0])
}

// Read reads up to len(p) bytes from the nonblocking fd with a raw read(2).
// It returns (0, nil) at EOF and (0, unix.EAGAIN) when nothing is buffered; on
// any error n is 0 and err is a unix.Errno. fd must be nonblocking.
//
// Concurrency: safe from any goroutine; the caller owns p for the duration.
func Read(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(base(p)), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	if raceEnabled && n > 0 {
		raceWriteRange(unsafe.Pointer(&p[0]), int(n))
		raceAcquire(unsafe.Pointer(&ioSync))
	}
	return int(n), nil
}

// Write writes p to the nonblocking fd with a raw write(2) and returns how many
// bytes the kernel took, which may be fewer than len(p). On error n is 0 and
// err is a unix.Errno (unix.EAGAIN when the send buffer is full). fd must be
// nonblocking.
//
// Concurrency: safe from any goroutine; the caller owns p for the duration.
func Write(fd int, p []byte) (int, error) {
	if raceEnabled {
		raceReleaseMerge(unsafe.Pointer(&ioSync))
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(base(p)), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	if raceEnabled && n > 0 {
		raceReadRange(unsafe.Pointer(&p[0]), int(n))
	}
	return int(n), nil
}

// Writev gathers bufs into one raw writev(2) on the nonblocking fd, using an
// iovec array on the caller's stack: it does not allocate. Empty buffers are
// skipped, and at most IovecBatch non-empty buffers go out per call; the result
// is the byte count the kernel took, which may end inside any buffer — the
// caller advances its buffers by n and calls again. No non-empty buffers means
// (0, nil) with no syscall. Errors are as for Write.
//
// Concurrency: safe from any goroutine; the caller owns bufs for the duration.
func Writev(fd int, bufs [][]byte) (int, error) {
	var iov [IovecBatch]unix.Iovec
	return WritevScratch(fd, bufs, iov[:])
}

// WritevScratch is Writev with caller-provided iovec scratch space, for
// batches larger than IovecBatch: at most min(len(scratch), MaxIovecs)
// non-empty buffers go out per call. scratch is overwritten.
//
// Concurrency: as Writev; scratch must not be shared between goroutines.
func WritevScratch(fd int, bufs [][]byte, scratch []unix.Iovec) (int, error) {
	cnt := fillIovecs(scratch, bufs)
	if cnt == 0 {
		return 0, nil
	}
	if raceEnabled {
		raceReleaseMerge(unsafe.Pointer(&ioSync))
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&scratch[0])), uintptr(cnt))
	if e != 0 {
		return 0, e
	}
	if raceEnabled {
		raceIovecs(scratch[:cnt], int(n), raceReadRange)
	}
	return int(n), nil
}

// Readv scatters one raw readv(2) on the nonblocking fd into bufs (at most
// IovecBatch non-empty buffers), with the iovec array on the stack. It returns
// (0, nil) at EOF; errors are as for Read. No non-empty buffers means (0, nil)
// with no syscall.
//
// Concurrency: safe from any goroutine; the caller owns bufs for the duration.
func Readv(fd int, bufs [][]byte) (int, error) {
	var iov [IovecBatch]unix.Iovec
	cnt := fillIovecs(iov[:], bufs)
	if cnt == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_READV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(cnt))
	if e != 0 {
		return 0, e
	}
	if raceEnabled && n > 0 {
		raceIovecs(iov[:cnt], int(n), raceWriteRange)
		raceAcquire(unsafe.Pointer(&ioSync))
	}
	return int(n), nil
}

// fillIovecs points iov at the non-empty buffers of bufs and returns how many
// it filled: at most min(len(iov), MaxIovecs).
func fillIovecs(iov []unix.Iovec, bufs [][]byte) int {
	limit := min(len(iov), MaxIovecs)
	cnt := 0
	for _, b := range bufs {
		if cnt == limit {
			break
		}
		if len(b) == 0 {
			continue
		}
		iov[cnt].Base = &b[0]
		iov[cnt].SetLen(len(b))
		cnt++
	}
	return cnt
}

// raceIovecs reports to the race detector the first n bytes of iov as read or
// written by the kernel.
func raceIovecs(iov []unix.Iovec, n int, report func(unsafe.Pointer, int)) {
	for i := 0; n > 0 && i < len(iov); i++ {
		m := min(int(iov[i].Len), n)
		report(unsafe.Pointer(iov[i].Base), m)
		n -= m
	}
}
