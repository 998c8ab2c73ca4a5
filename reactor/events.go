package reactor

import "strings"

// Events is a set of readiness conditions on one file descriptor.
//
// Bit layout (low bits first): bit 0 Readable, bit 1 Writable, bit 2 HangUp,
// bit 3 Error. Only Readable and Writable are meaningful as interest passed to
// Add and Modify; HangUp and Error are always reported when they occur.
type Events uint32

const (
	// Readable: a read would not block (data, a pending connection on a
	// listener, or EOF).
	Readable Events = 1 << iota
	// Writable: a write would not block.
	Writable
	// HangUp: the peer closed its end (EPOLLHUP or EPOLLRDHUP on Linux, EV_EOF
	// on kqueue). It can arrive with or without Readable; a loop should read
	// until read returns 0 or an error.
	HangUp
	// Error: the fd has a pending error (EPOLLERR, EV_ERROR). Read or write to
	// collect it.
	Error
)

// String returns the set as "Readable|Writable" etc., or "0" when empty.
func (e Events) String() string {
	if e == 0 {
		return "0"
	}
	var names []string
	for _, n := range [...]struct {
		bit  Events
		name string
	}{{Readable, "Readable"}, {Writable, "Writable"}, {HangUp, "HangUp"}, {Error, "Error"}} {
		if e&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, "|")
}

// Ready is one ready file descriptor as reported by Poller.Wait.
type Ready struct {
	// Token is the caller's value given to Add, Modify or AddWaker.
	Token uint64
	// Events is what the kernel reported for the fd.
	Events Events
}
