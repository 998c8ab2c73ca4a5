//go:build darwin || freebsd

package reactor

import (
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Poller is a level-triggered readiness poller over one kqueue.
//
// Tokens live in a map keyed by fd rather than in Udata, which is a *byte in
// x/sys/unix: storing an integer there would plant an invalid pointer for the
// garbage collector. The map costs a lock and a lookup per event; correctness
// matters more than speed on these platforms.
//
// kqueue reports read and write readiness as separate events, so one Wait can
// return the same token twice (once Readable, once Writable).
type Poller struct {
	// fd is the kqueue. Written once by NewPoller; read by every method.
	fd int
	// mu guards regs and waker. Taken by Add/Modify/Remove/AddWaker from any
	// goroutine and once per Wait.
	mu sync.Mutex
	// regs maps each registered fd to its token and interest.
	regs map[int]kqReg
	// waker is the registered waker, drained by Wait when it fires; nil if none.
	waker *Waker
	// events is Wait's kernel buffer, grown to len(ready). Owned by the
	// goroutine in Wait.
	events []unix.Kevent_t
	// closed is set by Close.
	closed atomic.Bool
}

// kqReg is one registration: the caller's token and the filters added.
type kqReg struct {
	token uint64
	ev    Events
}

// NewPoller creates a kqueue (close-on-exec).
func NewPoller() (*Poller, error) {
	fd, err := unix.Kqueue()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(fd)
	return &Poller{fd: fd, regs: make(map[int]kqReg)}, nil
}

// Add registers level-triggered interest in ev (Readable and/or Writable) on
// fd, reported with token. EV_EOF shows as HangUp, EV_ERROR as Error. Closing
// an fd drops its kernel registration but not its map entry, so Add over an
// fd number already known replaces that entry instead of failing.
//
// Concurrency: safe from any goroutine, also while another is in Wait; must
// not race with Close.
func (p *Poller) Add(fd int, token uint64, ev Events) error {
	return p.set(fd, token, ev, false, "kevent add")
}

// Modify replaces the interest and token of an fd already added.
//
// Concurrency: as Add.
func (p *Poller) Modify(fd int, token uint64, ev Events) error {
	return p.set(fd, token, ev, true, "kevent mod")
}

// set adds the filters in ev, deletes the registered ones not in ev and
// records token. mustExist makes an unknown fd ENOENT.
func (p *Poller) set(fd int, token uint64, ev Events, mustExist bool, name string) error {
	if p.closed.Load() {
		return ErrClosed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old, ok := p.regs[fd]
	if mustExist && !ok {
		return os.NewSyscallError(name, unix.ENOENT)
	}
	if err := p.change(fd, ev, 0, unix.EV_ADD); err != nil {
		return os.NewSyscallError(name, err)
	}
	if err := p.change(fd, old.ev&^ev, 0, unix.EV_DELETE); err != nil {
		return os.NewSyscallError(name, err)
	}
	p.regs[fd] = kqReg{token: token, ev: ev}
	if p.waker != nil && p.waker.Fd() == fd {
		p.waker = nil // the fd number now belongs to something else
	}
	return nil
}

// Remove deletes fd from the poller.
//
// Concurrency: as Add.
func (p *Poller) Remove(fd int) error {
	if p.closed.Load() {
		return ErrClosed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old, ok := p.regs[fd]
	if !ok {
		return os.NewSyscallError("kevent del", unix.ENOENT)
	}
	delete(p.regs, fd)
	if p.waker != nil && p.waker.Fd() == fd {
		p.waker = nil
	}
	if err := p.change(fd, old.ev, 0, unix.EV_DELETE); err != nil {
		return os.NewSyscallError("kevent del", err)
	}
	return nil
}

// AddWaker registers w's pipe edge-triggered (EV_CLEAR) with token. Each Wake
// writes a byte, a new edge, so each Wake after a Wait returned makes a later
// Wait return again. Wait drains the pipe itself when the waker fires, so the
// pipe never fills and the caller never reads it. Wait reports the waker as
// {token, Readable}.
//
// Concurrency: as Add.
func (p *Poller) AddWaker(w *Waker, token uint64) error {
	if p.closed.Load() {
		return ErrClosed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.change(w.Fd(), Readable, unix.EV_CLEAR, unix.EV_ADD); err != nil {
		return os.NewSyscallError("kevent add", err)
	}
	p.regs[w.Fd()] = kqReg{token: token, ev: Readable}
	p.waker = w
	return nil
}

// Wait fills ready with up to len(ready) ready events and returns how many. A
// negative timeoutMs blocks until something is ready, 0 polls, a positive
// value blocks at most that many milliseconds. EINTR returns (0, nil). On
// kqueue every timeout uses the ordinary (libc or runtime-aware) syscall.
//
// Concurrency: one goroutine at a time; Add, Modify, Remove and Wake may run
// concurrently.
func (p *Poller) Wait(ready []Ready, timeoutMs int) (int, error) {
	if len(ready) == 0 {
		return 0, ErrNoReadySpace
	}
	if p.closed.Load() {
		return 0, ErrClosed
	}
	if len(p.events) < len(ready) {
		p.events = make([]unix.Kevent_t, len(ready)) // slow path
	}
	var ts *unix.Timespec
	if timeoutMs >= 0 {
		t := unix.NsecToTimespec(int64(timeoutMs) * 1e6)
		ts = &t
	}
	n, err := unix.Kevent(p.fd, nil, p.events[:len(ready)], ts)
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, os.NewSyscallError("kevent", err)
	}
	out := 0
	p.mu.Lock()
	for i := range p.events[:n] {
		e := &p.events[i]
		reg, ok := p.regs[int(e.Ident)]
		if !ok {
			continue // removed by another goroutine after the kernel reported it
		}
		if p.waker != nil && int(e.Ident) == p.waker.Fd() {
			p.waker.drain()
		}
		ready[out] = Ready{Token: reg.token, Events: kqEvents(e)}
		out++
	}
	p.mu.Unlock()
	return out, nil
}

// Close closes the kqueue. A second Close returns ErrClosed.
//
// Concurrency: call once, after Wait has stopped and no goroutine will call
// Add, Modify, Remove or AddWaker.
func (p *Poller) Close() error {
	if p.closed.Swap(true) {
		return ErrClosed
	}
	if err := unix.Close(p.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// change applies one kevent action (EV_ADD or EV_DELETE, plus extra flags) to
// each filter named by ev, one kevent call per filter so that a failure on one
// cannot hide the other. Deleting a filter that is not there (ENOENT) is not
// an error. Called with p.mu held.
func (p *Poller) change(fd int, ev Events, extra, action int) error {
	for _, f := range [...]struct {
		bit    Events
		filter int
	}{{Readable, unix.EVFILT_READ}, {Writable, unix.EVFILT_WRITE}} {
		if ev&f.bit == 0 {
			continue
		}
		var chg [1]unix.Kevent_t
		unix.SetKevent(&chg[0], fd, f.filter, action|extra)
		_, err := unix.Kevent(p.fd, chg[:], nil, nil)
		if err != nil && !(action == unix.EV_DELETE && err == unix.ENOENT) {
			return err
		}
	}
	return nil
}

// kqEvents maps one kevent to Events.
func kqEvents(e *unix.Kevent_t) Events {
	var ev Events
	switch e.Filter {
	case unix.EVFILT_READ:
		ev |= Readable
	case unix.EVFILT_WRITE:
		ev |= Writable
	}
	if e.Flags&unix.EV_EOF != 0 {
		ev |= HangUp
	}
	if e.Flags&unix.EV_ERROR != 0 {
		ev |= Error
	}
	return ev
}
