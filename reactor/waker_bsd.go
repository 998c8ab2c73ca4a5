//go:build darwin || freebsd

package reactor

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Waker lets any goroutine wake a goroutine blocked in Poller.Wait. On macOS
// and FreeBSD it is a nonblocking pipe; each Wake writes one byte and the
// poller drains the pipe when it reports the waker.
//
// Wake is not a memory-synchronisation point for the race detector: publish
// the work the woken loop should see with atomics before calling Wake.
type Waker struct {
	// r is the pipe's read end (registered with the poller), w its write end.
	// Written once by NewWaker.
	r, w int
	// closed is set by Close; read by Wake and Drain.
	closed atomic.Bool
}

// wakeByte is what Wake writes; read-only.
var wakeByte = []byte{1}

// NewWaker creates a pipe waker (nonblocking, close-on-exec).
func NewWaker() (*Waker, error) {
	var p [2]int
	if err := pipeCloexec(p[:]); err != nil {
		return nil, os.NewSyscallError("pipe", err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, os.NewSyscallError("fcntl", err)
		}
	}
	return &Waker{r: p[0], w: p[1]}, nil
}

// Wake writes one byte to the pipe. EAGAIN (pipe full) is not an error: the
// reader has a wake-up pending.
//
// Concurrency: safe from any goroutine; must not race with Close.
func (w *Waker) Wake() error {
	if w.closed.Load() {
		return ErrClosed
	}
	if _, err := unix.Write(w.w, wakeByte); err != nil && err != unix.EAGAIN {
		return os.NewSyscallError("write", err)
	}
	return nil
}

// Drain empties the pipe. A waker registered with AddWaker is drained by the
// poller; Drain is for one registered by hand with Add.
//
// Concurrency: safe from any goroutine; must not race with Close.
func (w *Waker) Drain() error {
	if w.closed.Load() {
		return ErrClosed
	}
	w.drain()
	return nil
}

// drain reads the pipe until it is empty or fails.
func (w *Waker) drain() {
	var buf [128]byte
	for {
		n, err := unix.Read(w.r, buf[:])
		if err != nil || n < len(buf) {
			return
		}
	}
}

// Fd returns the pipe's read end, for registering with a poller by hand.
//
// Concurrency: safe from any goroutine.
func (w *Waker) Fd() int { return w.r }

// Close closes both ends of the pipe. A second Close returns ErrClosed.
//
// Concurrency: call once, after every goroutine has stopped calling Wake.
func (w *Waker) Close() error {
	if w.closed.Swap(true) {
		return ErrClosed
	}
	errR := unix.Close(w.r)
	errW := unix.Close(w.w)
	if errR != nil {
		return os.NewSyscallError("close", errR)
	}
	if errW != nil {
		return os.NewSyscallError("close", errW)
	}
	return nil
}
