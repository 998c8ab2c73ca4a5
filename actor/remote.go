package actor

import (
	"context"
	"strconv"
	"sync"
)

// Remote carries messages between this system and the other nodes of a
// cluster. Package cluster implements it over NATS; attach one with the
// Cluster option. A system without one refuses sends to other nodes with
// ErrRemoteNode.
//
// The system calls Send from shard goroutines and from any goroutine that
// sends, publishes or asks; it must encode what it needs of the envelope
// before it returns (a []byte message may alias a read buffer) and must not
// block for long. Interest is called on shard goroutines, in order.
type Remote interface {
	// Start is called by System.Start once the shards run, with the
	// system's side of the link: where envelopes from other nodes go.
	Start(local *Local) error
	// Stop is called by System.Stop before the shards stop: no envelope
	// reaches Local after it returns.
	Stop(ctx context.Context) error
	// Send hands an envelope for other nodes to the transport. An error
	// means it was not sent (an unknown node, a message type the cluster
	// cannot encode, a transport that is down).
	Send(e *Envelope) error
	// Interest reports that this node got its first member of group
	// (on == true) or lost its last one: the transport then starts or
	// stops receiving the group's publications from other nodes.
	Interest(group string, on bool)
}

// EnvelopeKind says what an Envelope carries.
type EnvelopeKind uint8

// Envelope kinds.
const (
	// KindMessage: Msg for the actor To, sent by From (0 from outside any
	// actor).
	KindMessage EnvelopeKind = iota + 1
	// KindRequest: Msg for the actor To, sent with Request (From is the
	// requester) or Ask (From is 0 and AskNode the asking node); Request
	// numbers it for the answer.
	KindRequest
	// KindResponse: the answer (Msg, or Err) to request number Request, for
	// the requester To, or for the goroutine waiting in Ask on Node when To
	// is 0.
	KindResponse
	// KindPublish: Msg for every member of Group, from From.
	KindPublish
	// KindBroadcast: Msg written to the connection of every member of
	// Group.
	KindBroadcast
)

// Envelope is a message crossing nodes: what a Remote sends and what it
// hands to Local.Deliver.
type Envelope struct {
	Kind    EnvelopeKind
	Node    int       // the node it is for; -1 for every node with members of Group
	To      ID        // the target actor (0 for a response to an Ask)
	From    ID        // the sender (0 from outside any actor)
	Group   string    // publish and broadcast
	Request RequestID // request and response
	AskNode int       // request from Ask: the node of the waiting goroutine
	Msg     any
	Err     error // response: why there is no answer (ErrNoActor, ErrTimeout, or the remote text)
}

// Local is a system's side of its link to a cluster: a Remote hands it the
// envelopes that arrived from other nodes. Safe from any goroutine but a
// shard's.
type Local struct {
	sys *System
}

// Node returns this system's node number.
func (l *Local) Node() int { return l.sys.cfg.Node }

// Deliver carries out an envelope from another node: a message or request
// goes to its actor (a missing one makes a dead letter here, and a request
// gets ErrNoActor back), a response to its requester or waiting Ask, a
// publication or broadcast to this node's members of the group. While a
// shard's inbox is full it waits like System.Send (parked, up to SendWait),
// then gives up with ErrInboxFull.
func (l *Local) Deliver(e *Envelope) error { return userErr(l.deliver(e)) }

// deliver is Deliver, with the event loop's errors.
func (l *Local) deliver(e *Envelope) error {
	s := l.sys
	switch e.Kind {
	case KindMessage:
		return s.set.Send(uint64(e.To), uint64(e.From), e.Msg)
	case KindRequest:
		r := &request{msg: e.Msg, id: e.Request, from: e.From, askNode: e.AskNode, remote: true}
		return s.set.Send(uint64(e.To), uint64(e.From), r)
	case KindResponse:
		resp := Response{ID: e.Request, Msg: e.Msg, Err: e.Err}
		if e.To == 0 {
			s.asks.answer(resp)
			return nil
		}
		return s.set.Send(uint64(e.To), uint64(e.From), &response{resp})
	case KindPublish:
		return s.set.Publish(uint64(e.From), e.Group, e.Msg)
	case KindBroadcast:
		return s.set.Broadcast(e.Group, e.Msg)
	}
	return ErrBadEnvelope
}

// remoteSend hands e to the cluster, or refuses with ErrRemoteNode without
// one.
func (s *System) remoteSend(e *Envelope) error {
	if s.cfg.remote == nil {
		return ErrRemoteNode
	}
	if err := s.cfg.remote.Send(e); err != nil {
		return &notSent{node: e.Node, err: err}
	}
	return nil
}

// notSent is the error of an envelope the Remote could not carry:
// ErrNotSent, wrapping the Remote's own error.
type notSent struct {
	node int // -1: every node with members of a group
	err  error
}

func (e *notSent) Error() string {
	if e.node < 0 {
		return "actor: not sent to the other nodes: " + e.err.Error()
	}
	return "actor: not sent to node " + strconv.Itoa(e.node) + ": " + e.err.Error()
}

func (e *notSent) Unwrap() []error { return []error{ErrNotSent, e.err} }

// remoteFan forwards a publication or broadcast to the other nodes, if any.
func (s *System) remoteFan(kind EnvelopeKind, from ID, group string, msg any) error {
	if s.cfg.remote == nil {
		return nil
	}
	return s.remoteSend(&Envelope{Kind: kind, Node: -1, From: from, Group: group, Msg: msg})
}

// remoteFan is System.remoteFan from an actor, through its shard's envelope.
func (c *Context) remoteFan(kind EnvelopeKind, group string, msg any) error {
	if c.sys.cfg.remote == nil {
		return nil
	}
	return c.h.remote(Envelope{Kind: kind, Node: -1, From: c.self, Group: group, Msg: msg})
}

// asks are the System.Ask calls waiting for an answer from another node.
type asks struct {
	mu      sync.Mutex
	next    RequestID
	waiting map[RequestID]waitingAsk
}

// waitingAsk is one Ask waiting for an answer from node.
type waitingAsk struct {
	ch   chan Response
	node int
}

// add registers an Ask waiting for node and returns its number.
func (a *asks) add(ch chan Response, node int) RequestID {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.waiting == nil {
		a.waiting = make(map[RequestID]waitingAsk)
	}
	a.next++
	a.waiting[a.next] = waitingAsk{ch: ch, node: node}
	return a.next
}

// failNode answers every Ask waiting for node with err.
func (a *asks) failNode(node int, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, w := range a.waiting {
		if w.node == node {
			delete(a.waiting, id)
			w.ch <- Response{ID: id, Err: err} // buffered, capacity 1, and answered once
		}
	}
}

// drop forgets a waiting Ask (answered, or its context ended).
func (a *asks) drop(id RequestID) {
	a.mu.Lock()
	delete(a.waiting, id)
	a.mu.Unlock()
}

// answer hands resp to its waiting Ask; a late answer is dropped.
func (a *asks) answer(resp Response) {
	a.mu.Lock()
	w, ok := a.waiting[resp.ID]
	delete(a.waiting, resp.ID)
	a.mu.Unlock()
	if ok {
		w.ch <- resp // buffered, capacity 1, and answered once
	}
}
