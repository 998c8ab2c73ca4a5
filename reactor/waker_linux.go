//go:build linux

package reactor

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Waker lets any goroutine wake a goroutine blocked in Poller.Wait. On Linux
// it is an eventfd; each Wake adds 1 to its counter.
//
// Wake is not a memory-synchronisation point for the race detector: publish
// the work the woken loop should see with atomics (or a disruptor sequence)
// before calling Wake.
type Waker struct {
	// fd is the eventfd (nonblocking, close-on-exec). Written once by
	// NewWaker; read by Wake from any goroutine. 8B.
	fd int
	// closed is set by Close; read by Wake and Drain. 4B.
	closed atomic.Bool
}

// wakeOne is the host-order uint64 that Wake writes. Read-only: the kernel
// only reads it, so concurrent Wakes share it safely.
var wakeOne uint64 = 1

// NewWaker creates an eventfd waker.
func NewWaker() (*Waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &Waker{fd: fd}, nil
}

// Wake makes the poller the waker is registered with report it: one raw
// 8-byte write to the nonblocking eventfd. EAGAIN (counter at its maximum)
// is not an error: a wake-up is already pending. It does not allocate.
//
// Concurrency: safe from any goroutine, concurrently with Wait and other
// Wakes; must not race with Close.
func (w *Waker) Wake() error {
	if w.closed.Load() {
		return ErrClosed
	}
	_, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(w.fd), uintptr(unsafe.Pointer(&wakeOne)), 8)
	if e != 0 && e != unix.EAGAIN {
		return os.NewSyscallError("write", e)
	}
	return nil
}

// Drain resets the counter by reading it. A waker registered with AddWaker
// never needs draining (the counter cannot reach its 2^64-2 limit in practice);
// Drain is for one registered level-triggered with Add.
//
// Concurrency: safe from any goroutine; must not race with Close.
func (w *Waker) Drain() error {
	if w.closed.Load() {
		return ErrClosed
	}
	var v uint64
	_, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(w.fd), uintptr(unsafe.Pointer(&v)), 8)
	if e != 0 && e != unix.EAGAIN {
		return os.NewSyscallError("read", e)
	}
	return nil
}

// Fd returns the eventfd, for registering with a poller by hand.
//
// Concurrency: safe from any goroutine.
func (w *Waker) Fd() int { return w.fd }

// Close closes the eventfd. A second Close returns ErrClosed.
//
// Concurrency: call once, after every goroutine has stopped calling Wake.
func (w *Waker) Close() error {
	if w.closed.Swap(true) {
		return ErrClosed
	}
	if err := unix.Close(w.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
