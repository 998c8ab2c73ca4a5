package cluster

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/shoalrt/shoal/actor"
)

// Membership is soft state. Every node publishes a heartbeat (its number
// and incarnation) on the "hb" subject every Config.Heartbeat, and on
// "bye" when it stops. A node knows another alive from the first heartbeat
// it hears of it (and answers with its own at once, so both know each other
// without waiting a period) until it says goodbye, stays silent for more
// than HeartbeatMisses heartbeats, or a heartbeat with its number comes
// from a new incarnation. Each change is made under n.mmu, the peer stored
// or deleted first and then reported to the local system (NodeUp,
// NodeDown), so a watcher that hears a node is down finds sends to it
// failing with ErrNoNode, and one that hears it is up finds them working.

// peer is another live node as last heard.
type peer struct {
	id      string // its incarnation
	subject string // its node subject
	seen    int64  // unix nanoseconds of its last heartbeat; under n.mmu
}

// hello is the body of this node's heartbeats and goodbye: its number and
// incarnation.
func (n *Node) hello() []byte {
	b := binary.AppendUvarint(nil, uint64(n.node))
	return append(b, n.id...)
}

// parseHello splits a heartbeat or goodbye into the node's number and
// incarnation (empty in a goodbye of an older version, which named only
// the number).
func parseHello(data []byte) (node int, id string, ok bool) {
	v, k := binary.Uvarint(data)
	if k <= 0 || v > actor.MaxNode {
		return 0, "", false
	}
	return int(v), string(data[k:]), true
}

// heartbeat publishes this node's heartbeat. n.mu held, running.
func (n *Node) heartbeat() {
	n.nc.Publish(n.hbSubj, n.hello())
}

// heard records another node's heartbeat. A node heard for the first time
// is reported up and gets this node's heartbeat at once; a heartbeat with a
// known number but a new incarnation reports the old one down first. The
// heartbeat subscription's goroutine only (its own, so a receiving
// goroutine held up by a full shard never delays it); n.mmu orders it with
// goodbyes and the expiry sweep.
func (n *Node) heard(data []byte) {
	v, id, ok := parseHello(data)
	if !ok {
		n.malformed.Add(1)
		return
	}
	if v == n.node { // another live node with this number: not a peer, a conflict
		n.report(logNumberTaken, fmt.Errorf("%w: node %d heard from another node with its number", ErrNodeTaken, n.node))
		return
	}
	now := time.Now().UnixNano()
	n.mmu.Lock()
	defer n.mmu.Unlock()
	if n.live.Load() == nil { // stopping: it knows nobody any more
		return
	}
	if _, gone := n.departed[id]; gone { // a heartbeat overtaken by its node's goodbye
		return
	}
	if p, ok := n.peers.Load(v); ok {
		old := p.(*peer)
		if old.id == id {
			old.seen = now
			return
		}
		n.down(v, old, fmt.Errorf("%w: node %d has a new incarnation", ErrNodeRestarted, v))
	}
	p := &peer{id: id, subject: n.nodeSubject(v), seen: now}
	n.peers.Store(v, p)
	n.npeers.Add(1)
	n.mu.Lock()
	if n.running {
		n.heartbeat()
	}
	n.mu.Unlock()
	n.logNodeUp(v)
	if err := n.local.NodeUp(v); err != nil {
		n.lostEvent(v, err)
	}
}

// goodbye forgets the node that said it, if that is the incarnation
// known. The receiving goroutine only.
func (n *Node) goodbye(data []byte) {
	v, id, ok := parseHello(data)
	if !ok {
		n.malformed.Add(1)
		return
	}
	n.mmu.Lock()
	defer n.mmu.Unlock()
	if n.live.Load() == nil {
		return
	}
	if id != "" {
		// Heartbeats have their own goroutine: one sent before this
		// goodbye may be handled after it, and must not bring the
		// incarnation back.
		n.departed[id] = time.Now().UnixNano()
	}
	if p, ok := n.peers.Load(v); ok && (id == "" || p.(*peer).id == id) {
		n.down(v, p.(*peer), ErrNodeLeft)
	}
}

// down forgets p, the peer of node v, and reports it down for reason.
// n.mmu held.
func (n *Node) down(v int, p *peer, reason error) {
	if !n.peers.CompareAndDelete(v, p) {
		return
	}
	n.npeers.Add(-1)
	n.store.nodeDown(v, p.id)
	n.logNodeDown(v, reason)
	if err := n.local.NodeDown(v, reason); err != nil {
		n.lostEvent(v, err)
	}
}

// lostEvent counts and reports a node event some watcher could not be
// given (its shard's inbox stayed full).
func (n *Node) lostEvent(v int, err error) {
	n.dropped.Add(1)
	n.report(logNodeEvent, fmt.Errorf("cluster: node %d: telling watchers of node %d: %w", n.node, v, err))
}

// beat sends a heartbeat every period and, after each, reports down the
// nodes silent for more than HeartbeatMisses periods: such a node is found
// at the first check past that limit, at most one period later, which is
// Config.HeartbeatMisses' bound.
func (n *Node) beat() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-n.done:
			return
		case <-t.C:
			n.mu.Lock()
			if n.running {
				n.heartbeat()
			}
			n.mu.Unlock()
			n.expire(time.Now())
		}
	}
}

// expire reports down the peers not heard for more than HeartbeatMisses
// heartbeats before now. The beating goroutine only.
func (n *Node) expire(now time.Time) {
	silence := time.Duration(n.cfg.HeartbeatMisses) * n.cfg.Heartbeat
	limit := now.Add(-silence).UnixNano()
	n.mmu.Lock()
	defer n.mmu.Unlock()
	if n.live.Load() == nil {
		return
	}
	for id, at := range n.departed { // a late heartbeat is long handled by now
		if at < limit-int64(silence) {
			delete(n.departed, id)
		}
	}
	n.peers.Range(func(k, v any) bool {
		if p := v.(*peer); p.seen < limit {
			n.down(k.(int), p, fmt.Errorf("%w: node %d silent for %v (%d heartbeats of %v)",
				ErrNodeSilent, k.(int), now.Sub(time.Unix(0, p.seen)).Round(time.Millisecond), n.cfg.HeartbeatMisses, n.cfg.Heartbeat))
		}
		return true
	})
}

// forgetPeers forgets every peer without reporting anything: the node has
// stopped, and its actors are closing.
func (n *Node) forgetPeers() {
	n.mmu.Lock()
	defer n.mmu.Unlock()
	n.peers.Range(func(k, _ any) bool {
		n.peers.Delete(k)
		return true
	})
	n.npeers.Store(0)
}

// Nodes returns the numbers of the other nodes this node knows to be alive,
// in no particular order. Safe from any goroutine.
func (n *Node) Nodes() []int {
	var out []int
	n.peers.Range(func(k, _ any) bool {
		out = append(out, k.(int))
		return true
	})
	return out
}

// WaitNodes waits until every node in nodes is known to be alive, or ctx
// ends.
func (n *Node) WaitNodes(ctx context.Context, nodes ...int) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		missing := -1
		for _, x := range nodes {
			if _, ok := n.peers.Load(x); !ok && x != n.node {
				missing = x
				break
			}
		}
		if missing < 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: waiting for node %d: %w", missing, ctx.Err())
		case <-t.C:
		}
	}
}
