package cluster

import (
	"fmt"
	"reflect"

	"github.com/nats-io/nats.go"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// Send encodes e and queues it for its node's subject, or its group's for a
// publication or broadcast; the node's flusher publishes what is queued for
// a subject as one batch (see batch.go), keeping the order of envelopes per
// subject. Errors about e itself (a type the cluster cannot encode, an
// unknown node, a message over NATS's maximum payload) are Send's; a failure
// to publish a batch later goes to Config.OnError and Stats.Dropped.
func (n *Node) Send(e *actor.Envelope) error {
	nc := n.live.Load()
	if nc == nil {
		return ErrNotRunning
	}
	var subject string
	switch e.Kind {
	case actor.KindPublish, actor.KindBroadcast:
		if len(e.Group) > MaxGroupLen {
			return ErrGroupTooLong
		}
		if n.npeers.Load() == 0 { // a node alone: nobody else can have members
			if _, ok := n.ser.Registry().Tag(e.Msg); !ok && e.Msg != nil {
				// what would fail with other nodes fails alone too
				return &codec.TypeError{Type: reflect.TypeOf(e.Msg), Codec: "cluster"}
			}
			return nil
		}
		subject = n.groupSubject(e.Group)
	default:
		if e.Node < 0 || e.Node > actor.MaxNode {
			return fmt.Errorf("%w: %d", ErrNoNode, e.Node)
		}
		p, ok := n.peers.Load(e.Node)
		if !ok {
			return fmt.Errorf("%w: %d", ErrNoNode, e.Node)
		}
		subject = p.(*peer).subject
	}
	return n.add(nc, subject, e)
}

// receive hands what arrives to the local system, in order, until Stop.
func (n *Node) receive() {
	defer n.wg.Done()
	for {
		select {
		case m := <-n.in:
			n.handle(m)
		case <-n.done:
			for { // what arrived before the unsubscriptions took effect
				select {
				case m := <-n.in:
					n.handle(m)
				default:
					return
				}
			}
		}
	}
}

func (n *Node) handle(m *nats.Msg) {
	switch m.Subject {
	case n.byeSubj:
		n.goodbye(m.Data)
		return
	}
	n.subject = m.Subject
	if err := eachEnvelope(m.Data, n.deliverOne); err != nil {
		n.malformed.Add(1)
		n.report(logMalformed, fmt.Errorf("cluster: node %d: from %s: %w", n.node, m.Subject, err))
	}
}

// deliverOne decodes one envelope from the subject n.subject and hands it
// to the local system. The receiving goroutine only.
func (n *Node) deliverOne(b []byte) {
	e := &n.env
	if err := decodeEnvelope(b, e, n.ser); err != nil {
		n.malformed.Add(1)
		n.report(logMalformed, fmt.Errorf("cluster: node %d: from %s: %w", n.node, n.subject, err))
		return
	}
	if e.Kind == actor.KindPublish && n.store.hasHistory(e.Group) {
		// The store delivers these, with their positions, from JetStream
		// (an older node may still send them here).
		*e = actor.Envelope{}
		return
	}
	err := n.local.Deliver(e)
	*e = actor.Envelope{}
	if err != nil {
		n.dropped.Add(1)
		n.report(logDeliver, fmt.Errorf("cluster: node %d: delivering: %w", n.node, err))
		return
	}
	n.received.Add(1)
}
