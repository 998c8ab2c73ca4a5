package actor

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrTimeout is the Response.Err of a request whose answer did not come
	// in time.
	ErrTimeout = errors.New("actor: request timed out")
	// ErrNoRequest is returned by Respond when the message being handled is
	// not a request.
	ErrNoRequest = errors.New("actor: message is not a request")
	// ErrNoActor is the Response.Err (or Ask's error) of a request sent to an
	// ID that no longer exists.
	ErrNoActor = errors.New("actor: no actor with that ID")
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
	msg  any
	id   RequestID
	from ID            // the requester (Request)
	ch   chan Response // the waiting goroutine (Ask); buffered, capacity 1
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
// exist). Exactly one Response arrives per request.
func (c *Context) Request(to ID, msg any, timeout time.Duration) (RequestID, error) {
	if to == 0 {
		return 0, ErrZeroID
	}
	msg = c.sh.CopyFrame(msg)
	h := c.h
	h.nextReq++
	id := h.nextReq
	if err := c.sh.Send(uint64(to), uint64(c.self), &request{msg: msg, id: id, from: c.self}); err != nil {
		return 0, err
	}
	t := c.sh.After(timeout, 0, uint64(c.self), requestTimeout{id: id})
	h.pending[id] = pendingRequest{timer: t, from: c.self}
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
	if r.ch != nil {
		r.ch <- Response{ID: r.id, Msg: msg}
		return nil
	}
	return c.sh.Send(uint64(r.from), uint64(c.self), &response{Response{ID: r.id, Msg: msg}})
}

// Ask sends msg to the actor to and waits for its Respond, or until ctx ends
// (then it returns ctx's error; a late answer is dropped). Ask has no timeout
// of its own: give ctx a deadline unless the target always answers. Safe from any
// goroutine but a shard's.
func (s *System) Ask(ctx context.Context, to ID, msg any) (any, error) {
	if to == 0 {
		return nil, ErrZeroID
	}
	r := &request{msg: msg, ch: make(chan Response, 1)}
	if err := s.g.Send(uint64(to), 0, r); err != nil {
		return nil, err
	}
	select {
	case resp := <-r.ch:
		return resp.Msg, resp.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
