package actor

import (
	"runtime/debug"

	"github.com/shoalrt/shoal/shard"
)

// handler runs actors on one shard: it is the shard's shard.Handler, and all
// its methods run on that shard's goroutine. One Context per shard is reused
// for every delivery, since deliveries never nest.
type handler struct {
	sys *System
	sh  *shard.Shard
	ctx Context
}

func (h *handler) Open(c *shard.Conn) {
	f := c.Listener().Tag.(Factory)
	c.User = f()
	h.receive(c, 0, Opened{})
}

func (h *handler) Receive(c *shard.Conn, from uint64, msg any) { h.receive(c, from, msg) }

func (h *handler) Closed(c *shard.Conn, err error) {
	if c.Listener() == nil {
		h.receive(c, 0, Stopped{})
	} else {
		h.receive(c, 0, Closed{Err: err})
	}
	c.User = nil
}

func (h *handler) DeadLetter(to, from uint64, msg any) {}

func (h *handler) Spawned(c *shard.Conn, arg any) {
	req := arg.(*spawnRequest)
	if c == nil {
		req.reply <- spawnReply{err: ErrStopped}
		return
	}
	c.User = req.f()
	req.reply <- spawnReply{id: ID(h.sh.Addr(c))}
	h.receive(c, 0, Started{})
}

// receive delivers msg to c's actor, recovering a panic: the connection is
// closed with a *PanicError and no other actor notices.
func (h *handler) receive(c *shard.Conn, from uint64, msg any) {
	a, ok := c.User.(Actor)
	if !ok {
		return
	}
	ctx := &h.ctx
	ctx.conn, ctx.msg = c, msg
	ctx.self, ctx.from = ID(h.sh.Addr(c)), ID(from)
	defer h.recover(c)
	a.Receive(ctx)
	ctx.conn, ctx.msg = nil, nil
}

func (h *handler) recover(c *shard.Conn) {
	r := recover()
	if r == nil {
		return
	}
	h.ctx.conn, h.ctx.msg = nil, nil
	h.sh.Close(c, &PanicError{Value: r, Stack: debug.Stack()})
}
