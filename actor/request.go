package actor

import (
	"context"
	"time"

	"github.com/shoalrt/shoal/shard"
)

// RequestID tells a requester's responses apart.
type RequestID uint64

// Response is what a requester receives for each Request: the answer the
// target gave with Respond, or an error (ErrTimeout, ErrNoActor).
type Response struct {
	ID  RequestID
	Msg any
	Err error
}

// request wraps a message sent with Request or Ask; the target's actor sees
// only msg, and Respond answers through the wrapper.
type request struct {
	msg     any
	id      RequestID
	from    ID            // the requester (Request)
	ch      chan Response // the waiting goroutine (Ask); buffered, capacity 1
	askNode int           // remote: the node of the goroutine waiting in Ask (from == 0)
	remote  bool          // it came from another node: the answer goes back through the cluster
}

// answer sends resp to the requester of r, from the actor self on h's shard:
// to the waiting Ask, back through the cluster, or to the requester's shard.
func (r *request) answer(h *handler, self ID, resp Response) error {
	switch {
	case r.ch != nil:
		r.ch <- resp
		return nil
	case r.remote:
		e := Envelope{Kind: KindResponse, Node: r.askNode, To: r.from, From: self, Request: resp.ID, Msg: resp.Msg, Err: resp.Err}
		if r.from != 0 {
			e.Node = r.from.Node()
		}
		return h.remote(e)
	}
	return userErr(h.sh.Send(uint64(r.from), uint64(self), &response{resp}))
}

// response carries an answer back to a requester's shard.
type response struct {
	Response
}

// requestTimeout is the requester's own timer message for a request.
type requestTimeout struct{ id RequestID }

// Request sends msg to the actor to and returns at once; the answer comes
// back to this actor later as a Response with the returned ID, or as a
// Response with Err ErrTimeout after timeout (or ErrNoActor if to does not
// exist, or an error wrapping ErrNodeDown as soon as to's node is reported
// down while the request waits). Exactly one Response arrives per request.
//
// Request is System.Ask for an actor: the same target, message and errors,
// but Receive must not wait, so the answer comes later as a message (with
// a timeout of its own) instead of as a return value; there is no
// Context.Ask, and no System.Request because a goroutine outside the
// system has no mailbox for the answer.
func (c *Context) Request(to ID, msg any, timeout time.Duration) (RequestID, error) {
	if to == 0 {
		return 0, ErrZeroID
	}
	msg = c.sh.CopyFrame(msg)
	h := c.h
	h.nextReq++
	id := h.nextReq
	node := -1
	err := c.sh.Send(uint64(to), uint64(c.self), &request{msg: msg, id: id, from: c.self})
	if err == shard.ErrRemoteNode {
		node = to.Node()
		err = h.remote(Envelope{Kind: KindRequest, Node: node, To: to, From: c.self, Request: id, Msg: msg})
	}
	if err != nil {
		return 0, userErr(err)
	}
	t := c.sh.After(timeout, 0, uint64(c.self), requestTimeout{id: id})
	h.pending[id] = pendingRequest{timer: t, from: c.self, node: node}
	h.pendingBy[c.self]++
	return id, nil
}

// Respond answers the request being handled (from Request or System.Ask).
// Only the first answer counts; answering a message that is not a request
// returns ErrNoRequest.
func (c *Context) Respond(msg any) error {
	r := c.req
	if r == nil {
		return ErrNoRequest
	}
	c.req = nil
	msg = c.sh.CopyFrame(msg)
	return r.answer(c.h, c.self, Response{ID: r.id, Msg: msg})
}

// Ask sends msg to the actor to and waits for its Respond, or until ctx ends
// (then it returns ctx's error; a late answer is dropped). Ask has no timeout
// of its own: give ctx a deadline unless the target always answers. An Ask
// to an actor of another node fails at once with an error wrapping
// ErrNodeDown when that node is reported down while it waits. It is
// for goroutines outside the system: called on a shard's goroutine (from
// Receive or a hook) it returns ErrOnShard at once, since waiting there
// stalls the shard, or never ends if the target is on it; an actor uses
// Context.Request.
func (s *System) Ask(ctx context.Context, to ID, msg any) (any, error) {
	if to == 0 {
		return nil, ErrZeroID
	}
	if shard.OnShard() {
		return nil, ErrOnShard
	}
	ch := make(chan Response, 1)
	if to.Node() != s.cfg.Node && s.cfg.remote != nil {
		id := s.asks.add(ch, to.Node())
		defer s.asks.drop(id)
		if err := s.remoteSend(&Envelope{Kind: KindRequest, Node: to.Node(), To: to, Request: id, AskNode: s.cfg.Node, Msg: msg}); err != nil {
			return nil, err
		}
	} else if err := s.set.Send(uint64(to), 0, &request{msg: msg, ch: ch}); err != nil {
		return nil, userErr(err)
	}
	select {
	case resp := <-ch:
		return resp.Msg, resp.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
