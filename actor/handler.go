package actor

import (
	"errors"
	"runtime/debug"
	"time"

	"github.com/shoalrt/shoal/shard"
)

// handler runs actors on one shard: it is the shard's shard.Handler, and all
// its methods run on that shard's goroutine. One Context per shard is reused
// for every delivery, since deliveries never nest.
type handler struct {
	sys *System
	sh  *shard.Shard
	ctx Context

	nextReq   RequestID                    // last request ID handed out on this shard
	pending   map[RequestID]pendingRequest // requests waiting for an answer
	pendingBy map[ID]int                   // how many of them each requester has
	env       Envelope                     // for sends to other nodes from this shard; see remote
	carry     carried                      // the message waiting while start runs Started before it
	deadLog   limited                      // rate of dead-letter records (log.go)
	fullLog   limited                      // rate of inbox-full records
	failLog   limited                      // rate of actor-failure records

	// Groups with settings (durable.go): recoveries under way or just past
	// their seam, presence groups, watched groups and names of this shard's
	// actors, so each actor's end undoes them.
	recov    map[memberKey]*recovery
	presence map[ID][]string
	watching map[ID][]string
	names    map[ID][]string
}

// remote hands e to the cluster through the handler's own Envelope, so a
// send to another node from an actor allocates no envelope (Remote.Send must
// not keep it), and clears it after, keeping no message alive.
func (h *handler) remote(e Envelope) error {
	h.env = e
	err := h.sys.remoteSend(&h.env)
	h.env = Envelope{}
	return err
}

// pendingRequest is a Request waiting for its Response.
type pendingRequest struct {
	timer shard.TimerID
	from  ID
	node  int // the target's node if it is another one (answers come through the cluster), else -1
}

// forgetRequest drops pending request id, cancelling its timer.
func (h *handler) forgetRequest(id RequestID) {
	if p, ok := h.pending[id]; ok {
		h.sh.CancelTimer(p.timer)
		delete(h.pending, id)
		h.pendingBy[p.from]--
		if h.pendingBy[p.from] <= 0 {
			delete(h.pendingBy, p.from)
		}
	}
}

// forgetRequests drops every pending request of the actor from, which is
// gone (closed, or replaced by a restart): no answer is wanted any more.
func (h *handler) forgetRequests(from ID) {
	if h.pendingBy[from] == 0 { // fast path: it waits for nothing
		return
	}
	for id, p := range h.pending {
		if p.from == from {
			h.sh.CancelTimer(p.timer)
			delete(h.pending, id)
		}
	}
	delete(h.pendingBy, from)
}

// failRequestsTo answers every request of this shard's actors still waiting
// for an actor of node with err: that node went down, and no answer will
// come. Each requester gets its Response through the local queue, where
// the usual matching (first answer wins) applies.
func (h *handler) failRequestsTo(node int, err error) {
	for id, p := range h.pending {
		if p.node == node {
			h.sh.Send(uint64(p.from), 0, &response{Response{ID: id, Err: err}})
		}
	}
}

func (h *handler) Open(c *shard.Conn, info any) {
	var f Factory
	dial, _ := c.Listener().Tag.(*dialRequest)
	if dial != nil {
		f = dial.f
	} else {
		f, _ = c.Listener().Tag.(Factory)
	}
	a, err := build(f)
	if err != nil { // the connection closes; nothing else notices
		if dial != nil {
			dial.reply <- spawnReply{err: err}
		}
		h.sh.Close(c, err)
		h.factoryFailed(c, err)
		return
	}
	c.User = a
	if dial != nil {
		dial.reply <- spawnReply{id: ID(h.sh.Addr(c))}
	}
	h.receive(c, 0, Opened{Info: info, TLS: h.sh.TLSState(c)})
}

// factoryFailed tells the failure hook that a factory panicked making the
// actor of c (a nil Actor is no panic: it only fails that actor).
func (h *handler) factoryFailed(c *shard.Conn, err error) {
	var p *PanicError
	if hook := h.sys.cfg.onFailure; hook != nil && errors.As(err, &p) {
		hook(Failure{ID: ID(h.sh.Addr(c)), Panic: p.Value, Stack: p.Stack, Action: ActionClosed})
	}
}

func (h *handler) Receive(c *shard.Conn, from uint64, msg any) { h.receive(c, from, msg) }

// Recover handles a panic recovered by the shard around a batch of Deliver
// calls. The failing actor is the one whose Receive was running (h.ctx.conn
// stays set when Receive panics); a panic with no actor running is not an
// actor's, and is left to the shard.
func (h *handler) Recover(r any) bool {
	c := h.ctx.conn
	if c == nil {
		return false
	}
	h.failed(c, r)
	return true
}

func (h *handler) Closed(c *shard.Conn, err error) {
	h.forgetRequests(ID(h.sh.Addr(c)))
	if c.Listener() == nil {
		if cl, ok := c.User.(*cell); ok && cl.fresh {
			// An incarnation stopped before its first message (before its
			// start signal fired) still starts before it stops.
			cl.fresh = false
			h.receive(c, 0, Started{})
		}
		h.receive(c, 0, Stopped{})
	} else {
		h.receive(c, 0, Closed{Err: userErr(err)})
	}
	h.nodesClosed(c) // a watcher that goes stops watching (nodes.go)
	h.gone(ID(h.sh.Addr(c)), true)
	c.User = nil
}

// DeadLetter answers a request to a missing actor with ErrNoActor, and
// hands every dead letter to the dead-letter hook: a request or response as
// the message it carried.
func (h *handler) DeadLetter(to, from uint64, msg any) {
	switch m := msg.(type) {
	case *request:
		r := m
		r.answer(h, ID(to), Response{ID: r.id, Err: ErrNoActor})
		msg = r.msg
	case *response:
		msg = m.Response
		if p, ok := h.pending[m.ID]; ok && p.from == ID(to) {
			h.forgetRequest(m.ID) // its requester is gone (and was on this shard: request numbers are per shard)
		}
	case *recoveryAnswer:
		return // the member is gone: nothing to recover for
	case *recoveredNote:
		msg = m.Recovered
	case *nameAnswer:
		msg = m.Response
	}
	h.logDeadLetter(ID(to), ID(from), msg)
	if f := h.sys.cfg.deadLetter; f != nil {
		f(DeadLetter{To: ID(to), From: ID(from), Message: msg})
	}
}

// fresh marks c's actor as a new incarnation that has not had Started yet,
// and arms its start signal: Started comes first, before anything queued
// for the ID, at the latest when the signal fires later in this turn.
func (h *handler) fresh(c *shard.Conn, cl *cell) {
	cl.fresh = true
	cl.signal = h.sh.After(0, 0, h.sh.Addr(c), startNow)
}

func (h *handler) Spawned(c *shard.Conn, arg any) {
	req := arg.(*spawnRequest)
	if c == nil {
		req.reply <- spawnReply{err: ErrStopped}
		return
	}
	a, err := build(req.f)
	if err != nil {
		h.sh.Close(c, nil) // the slot goes; Spawn returns the error
		h.factoryFailed(c, err)
		req.reply <- spawnReply{err: err}
		return
	}
	c.User = &cell{a: a, f: req.f, policy: req.policy}
	req.reply <- spawnReply{id: ID(h.sh.Addr(c))}
	h.receive(c, 0, Started{})
}

// receive delivers msg to c's actor, recovering from a panic in its
// Receive.
func (h *handler) receive(c *shard.Conn, from uint64, msg any) {
	defer h.recover()
	h.Deliver(c, from, msg)
}

// Deliver delivers msg to c's actor, without receive's deferred recover:
// the shard guards a batch of Deliver calls with one and passes a panic to
// Recover. Replies and request time-outs are
// matched to their pending request first; a request is unwrapped so the
// actor sees the message and Respond knows where to answer. h.ctx.conn is
// set only while the actor's Receive runs, so a panic that leaves it set is
// that actor's.
func (h *handler) Deliver(c *shard.Conn, from uint64, msg any) {
	var a Actor
	switch u := c.User.(type) {
	case *cell:
		a = u.a
		if u.fresh { // Started first; the start signal is cancelled then
			if !h.start(c, u, from, msg) {
				return
			}
		}
	case Actor:
		a = u
	default:
		return
	}
	ctx := &h.ctx
	ctx.req, ctx.pub = nil, nil
	switch m := msg.(type) {
	case *stored:
		if !h.admitStored(c, ID(h.sh.Addr(c)), m) {
			return
		}
		ctx.pub, msg = &m.pub, m.pub.Msg
	case *recoveryAnswer:
		h.replay(c, a, ID(h.sh.Addr(c)), m)
		return
	case *recoveredNote:
		msg = m.Recovered
	case *nameAnswer:
		if m.Err != nil {
			h.refused(ID(h.sh.Addr(c)), m.name)
		}
		if _, ok := h.pending[m.ID]; !ok {
			return // its time-out was delivered already
		}
		h.forgetRequest(m.ID)
		msg = m.Response
	case *request:
		ctx.req, msg = m, m.msg
	case *response:
		if _, ok := h.pending[m.ID]; !ok {
			return // its time-out was delivered already
		}
		h.forgetRequest(m.ID)
		msg = m.Response
	case shard.Pressure:
		msg = Backpressure(m)
	case requestTimeout:
		if _, ok := h.pending[m.id]; !ok {
			return
		}
		h.forgetRequest(m.id)
		msg = Response{ID: m.id, Err: ErrTimeout}
	}
	ctx.conn, ctx.msg = c, msg
	ctx.self, ctx.from = ID(h.sh.Addr(c)), ID(from)
	a.Receive(ctx)
	ctx.conn, ctx.msg, ctx.req, ctx.pub = nil, nil, nil, nil
}

// startNow is the message that makes a fresh spawned actor receive Started
// even if nothing else is sent to it: a zero-delay timer of its own, armed
// by Context.Spawn and by a restart.
var startNow any = startSignal{}

type startSignal struct{}

// start delivers Started to a fresh incarnation (u.fresh) before msg, the
// first thing sent to it, so Started is always the first message an
// incarnation handles, whatever was queued for its ID before it. It reports
// whether msg is still to be delivered: not the start signal itself, and not
// if Started stopped the actor. If Started panics, msg is lost with it, and
// is handed over as a dead letter by failed.
func (h *handler) start(c *shard.Conn, u *cell, from uint64, msg any) bool {
	u.fresh = false
	h.sh.CancelTimer(u.signal) // a no-op if msg is the signal itself
	if msg != startNow {
		h.carry = carried{c: c, from: from, msg: msg}
	}
	ctx := &h.ctx
	ctx.req = nil
	ctx.conn, ctx.msg = c, Started{}
	ctx.self, ctx.from = ID(h.sh.Addr(c)), 0
	u.a.Receive(ctx)
	ctx.conn, ctx.msg = nil, nil
	h.carry = carried{}
	if msg == startNow {
		return false
	}
	if !c.Open() { // Started stopped it: what waited behind is a dead letter
		h.sh.DeadLetter(h.sh.Addr(c), from, msg)
		return false
	}
	return true
}

// carried is a message held back while Started runs before it.
type carried struct {
	c    *shard.Conn
	from uint64
	msg  any
}

// recover is receive's deferred guard: a panic in an actor's Receive goes
// to failed; any other panic goes on.
func (h *handler) recover() {
	r := recover()
	if r == nil {
		return
	}
	c := h.ctx.conn
	if c == nil {
		panic(r) // not an actor's: a bug below, not to be hidden
	}
	h.failed(c, r)
}

// failed handles a panic in c's Receive: a connection is closed with a
// *PanicError; a spawned actor is restarted or stopped by its policy. No
// other actor notices. It runs in the deferred call that recovered, so the
// stack it records is the panicking one.
func (h *handler) failed(c *shard.Conn, r any) {
	h.ctx.conn, h.ctx.msg, h.ctx.req = nil, nil, nil
	f := Failure{ID: ID(h.sh.Addr(c)), Panic: r, Stack: debug.Stack(), Action: ActionClosed}
	if k := h.carry; k.c != nil { // Started panicked with a message waiting behind it
		h.carry = carried{}
		h.sh.DeadLetter(h.sh.Addr(k.c), k.from, k.msg)
	}
	if cl, ok := c.User.(*cell); ok {
		if !c.Open() || !cl.allow(time.Now()) { // stopping already (a panic in Stopped), or out of restarts
			f.Action = ActionStopped
			h.sh.Close(c, nil)
		} else if a, err := build(cl.f); err == nil {
			f.Action = ActionRestarted
			h.sh.Reset(c) // the old incarnation's timers and groups go with it
			h.gone(f.ID, false)
			h.forgetRequests(f.ID)
			cl.a = a
			h.fresh(c, cl)
		} else { // the factory fails now: no fresh incarnation to restart with
			f.Action = ActionStopped
			h.sh.Close(c, nil)
		}
	} else {
		h.sh.Close(c, &PanicError{Value: r, Stack: f.Stack})
	}
	h.logFailure(f)
	if hook := h.sys.cfg.onFailure; hook != nil {
		hook(f)
	}
}
