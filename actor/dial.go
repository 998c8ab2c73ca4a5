package actor

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/shard"
	"golang.org/x/sys/unix"
)

// dialRequest is the tag of a dialled connection's one-off listener.
type dialRequest struct {
	f     Factory
	reply chan spawnReply
}

// DialTimeout bounds how long Dial waits for a connection.
var DialTimeout = 10 * time.Second

// Dial connects to addr ("tcp://host:port", "unix:///path" or "host:port")
// and serves the connection on one of the system's shards exactly like an
// accepted one: c frames it, f makes its actor, which receives Opened first
// and Closed last. Dial returns the actor's ID once it is open, or the error
// that made the connection fail. It waits for the network, so call it from
// outside any actor (from Receive, run it with Context.Go).
func (s *System) Dial(ctx context.Context, addr string, c codec.Codec, f Factory, opts ...ListenOption) (ID, error) {
	if f == nil {
		return 0, ErrNilFactory
	}
	if c == nil {
		return 0, fmt.Errorf("actor: dial %s: nil codec", addr)
	}
	network, address, err := shard.ParseAddress(addr)
	if err != nil {
		return 0, err
	}
	if !s.g.Running() {
		return 0, ErrStopped
	}
	var lim shard.Limits
	for _, o := range opts {
		o(&lim)
	}
	d := net.Dialer{Timeout: DialTimeout}
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return 0, err
	}
	fd, err := dupFD(conn)
	conn.Close()
	if err != nil {
		return 0, fmt.Errorf("actor: dial %s: %w", addr, err)
	}
	req := &dialRequest{f: f, reply: make(chan spawnReply, 1)}
	refused := func() { req.reply <- spawnReply{err: ErrStopped} }
	if err := s.g.Adopt(fd, network, c, req, lim, refused); err != nil {
		return 0, err
	}
	select {
	case r := <-req.reply:
		return r.id, r.err
	case <-ctx.Done():
		return 0, ctx.Err() // the connection still opens; its actor runs
	}
}

// dupFD returns a close-on-exec duplicate of conn's socket, which outlives
// conn.
func dupFD(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("connection of type %T has no descriptor", conn)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return fd, dupErr
}
