//go:build linux

package reactor

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Poller is a level-triggered readiness poller over one epoll instance.
//
// Tokens travel inside the kernel's epoll_data: x/sys/unix's EpollEvent splits
// that 64-bit union into two int32 fields, Fd and Pad (on amd64 and 386 the
// struct is packed to 12 bytes; elsewhere a PadFd word precedes them). The
// kernel hands those 8 bytes back verbatim, so Add stores the token's low half
// in Fd and its high half in Pad and Wait reassembles it — no map lookup, on
// every architecture.
type Poller struct {
	// fd is the epoll instance. Written once by NewPoller; read by every
	// method. 8B.
	fd int
	// events is Wait's kernel buffer, grown to len(ready) on demand. Read and
	// written only by the goroutine in Wait; the backing array is hot on every
	// Wait, the header is cold after the first. 24B.
	events []unix.EpollEvent
	// closed is set by Close; read by Add, Modify, Remove, AddWaker and Wait
	// to fail with ErrClosed instead of touching a reused fd number. 4B.
	closed atomic.Bool
}

// NewPoller creates an epoll instance (close-on-exec).
func NewPoller() (*Poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	return &Poller{fd: fd}, nil
}

// Add registers level-triggered interest in ev (Readable and/or Writable) on
// fd, reported with token. Readable interest also asks for EPOLLRDHUP, so a
// peer's half-close shows as HangUp. HangUp and Error are reported even with
// ev == 0.
//
// Concurrency: safe from any goroutine, also while another goroutine is in
// Wait (epoll_ctl is thread-safe); must not race with Close.
func (p *Poller) Add(fd int, token uint64, ev Events) error {
	return p.ctl(unix.EPOLL_CTL_ADD, "epoll_ctl add", fd, token, epollInterest(ev))
}

// Modify replaces the interest and token of an fd already added.
//
// Concurrency: as Add.
func (p *Poller) Modify(fd int, token uint64, ev Events) error {
	return p.ctl(unix.EPOLL_CTL_MOD, "epoll_ctl mod", fd, token, epollInterest(ev))
}

// Remove deletes fd from the poller. Closing an fd removes it implicitly
// (once no other descriptor refers to the same file), so Remove before Close
// is only needed when the fd is kept or duplicated.
//
// Concurrency: as Add.
func (p *Poller) Remove(fd int) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if err := unix.EpollCtl(p.fd, unix.EPOLL_CTL_DEL, fd, nil); err != nil {
		return os.NewSyscallError("epoll_ctl del", err)
	}
	return nil
}

// AddWaker registers w edge-triggered (EPOLLIN|EPOLLET) with token. Every
// Wake is a new edge — the eventfd counter changes — so each Wake after a
// Wait returned makes a later Wait return again, and the loop never has to
// read the eventfd. Wait reports the waker as {token, Readable}.
//
// Concurrency: as Add.
func (p *Poller) AddWaker(w *Waker, token uint64) error {
	return p.ctl(unix.EPOLL_CTL_ADD, "epoll_ctl add", w.fd, token, unix.EPOLLIN|unix.EPOLLET)
}

// Wait fills ready with up to len(ready) ready fds and returns how many. A
// negative timeoutMs blocks until something is ready, 0 polls, a positive
// value blocks at most that many milliseconds. An interrupted wait (EINTR)
// returns (0, nil). An empty ready slice is ErrNoReadySpace.
//
// timeoutMs == 0 cannot block, so it uses a raw epoll_pwait that skips the
// runtime's entersyscall/exitsyscall; any other timeout uses the ordinary
// blocking syscall so the runtime can hand the P to another goroutine.
//
// Concurrency: one goroutine at a time (it owns the internal event buffer);
// Add, Modify, Remove and Wake may run concurrently from other goroutines.
func (p *Poller) Wait(ready []Ready, timeoutMs int) (int, error) {
	if len(ready) == 0 {
		return 0, ErrNoReadySpace
	}
	if p.closed.Load() {
		return 0, ErrClosed
	}
	if len(p.events) < len(ready) {
		p.growEvents(len(ready)) // slow path: first Wait or a bigger ready slice
	}
	evs := p.events[:len(ready)]
	var n int
	var err error
	if timeoutMs == 0 {
		// fast path: a poll. epoll_pwait with a nil sigmask is epoll_wait,
		// and exists on every architecture (arm64 has no epoll_wait).
		r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.fd),
			uintptr(unsafe.Pointer(&evs[0])), uintptr(len(evs)), 0, 0, 0)
		n = int(r)
		if e != 0 {
			err = e
		}
	} else {
		n, err = unix.EpollWait(p.fd, evs, timeoutMs)
	}
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	for i := range evs[:n] {
		e := &evs[i]
		ready[i] = Ready{Token: epollToken(e), Events: epollEvents(e.Events)}
	}
	return n, nil
}

// Close closes the epoll instance. A second Close returns ErrClosed.
//
// Concurrency: call once, after the goroutine in Wait has stopped and no
// other goroutine will call Add, Modify, Remove or AddWaker.
func (p *Poller) Close() error {
	if p.closed.Swap(true) {
		return ErrClosed
	}
	if err := unix.Close(p.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// growEvents replaces the kernel buffer with one of n entries.
func (p *Poller) growEvents(n int) {
	p.events = make([]unix.EpollEvent, n)
}

// ctl runs one epoll_ctl that carries an event.
func (p *Poller) ctl(op int, name string, fd int, token uint64, events uint32) error {
	if p.closed.Load() {
		return ErrClosed
	}
	ev := unix.EpollEvent{Events: events}
	setEpollToken(&ev, token)
	if err := unix.EpollCtl(p.fd, op, fd, &ev); err != nil {
		return os.NewSyscallError(name, err)
	}
	return nil
}

// epollInterest maps Readable/Writable interest to epoll bits.
func epollInterest(ev Events) uint32 {
	var e uint32
	if ev&Readable != 0 {
		e |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if ev&Writable != 0 {
		e |= unix.EPOLLOUT
	}
	return e
}

// epollEvents maps reported epoll bits to Events.
func epollEvents(e uint32) Events {
	var ev Events
	if e&unix.EPOLLIN != 0 {
		ev |= Readable
	}
	if e&unix.EPOLLOUT != 0 {
		ev |= Writable
	}
	if e&(unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 {
		ev |= HangUp
	}
	if e&unix.EPOLLERR != 0 {
		ev |= Error
	}
	return ev
}

// setEpollToken stores token in the epoll_data union (low half in Fd, high
// half in Pad).
func setEpollToken(e *unix.EpollEvent, token uint64) {
	e.Fd = int32(uint32(token))
	e.Pad = int32(uint32(token >> 32))
}

// epollToken reads back the token stored by setEpollToken.
func epollToken(e *unix.EpollEvent) uint64 {
	return uint64(uint32(e.Fd)) | uint64(uint32(e.Pad))<<32
}
