//go:build darwin

package reactor

import "golang.org/x/sys/unix"

// On macOS system calls go through libSystem, so there is no raw form to use:
// these are thin wrappers over x/sys/unix with the same contracts as the
// Linux/FreeBSD versions in io_raw.go (n is 0 on error, errors are bare
// unix.Errno values). Correctness over speed here.

// Read reads up to len(p) bytes from the nonblocking fd. It returns (0, nil) at
// EOF; on error n is 0 and err is a unix.Errno.
//
// Concurrency: safe from any goroutine; the caller owns p for the duration.
func Read(fd int, p []byte) (int, error) { return clampN(unix.Read(fd, p)) }

// Write writes p to the nonblocking fd and returns how many bytes the kernel
// took. On error n is 0 and err is a unix.Errno.
//
// Concurrency: safe from any goroutine; the caller owns p for the duration.
func Write(fd int, p []byte) (int, error) { return clampN(unix.Write(fd, p)) }

// Writev gathers at most IovecBatch of bufs into one writev(2).
//
// Concurrency: safe from any goroutine; the caller owns bufs for the duration.
func Writev(fd int, bufs [][]byte) (int, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	return clampN(unix.Writev(fd, bufs[:min(len(bufs), IovecBatch)]))
}

// WritevScratch is Writev for up to min(len(scratch), MaxIovecs) buffers;
// scratch is unused on macOS.
//
// Concurrency: as Writev.
func WritevScratch(fd int, bufs [][]byte, scratch []unix.Iovec) (int, error) {
	if len(bufs) == 0 || len(scratch) == 0 {
		return 0, nil
	}
	return clampN(unix.Writev(fd, bufs[:min(len(bufs), len(scratch), MaxIovecs)]))
}

// Readv scatters one readv(2) into at most IovecBatch of bufs.
//
// Concurrency: safe from any goroutine; the caller owns bufs for the duration.
func Readv(fd int, bufs [][]byte) (int, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	return clampN(unix.Readv(fd, bufs[:min(len(bufs), IovecBatch)]))
}

func clampN(n int, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return n, nil
}
