package actor

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shoalrt/shoal/shard"
)

// NodeUp tells an actor that called WatchNodes that another node of the
// cluster became known to be alive: it announced itself (its first
// heartbeat), or came back after it was reported down. Sends to its IDs
// work from now on.
type NodeUp struct {
	Node int
}

// NodeDown tells an actor that called WatchNodes that another node left the
// cluster: it said goodbye, was presumed dead (it missed its heartbeats),
// or was replaced by a new incarnation with its number (a NodeUp for the new
// one follows). From the moment it is delivered, sends to the node's IDs
// fail at once (ErrNotSent, wrapping cluster.ErrNoNode) until a NodeUp for it;
// what was on its way to the node when it died is lost with it.
type NodeDown struct {
	Node int
	// Reason says why, as the Remote reported it: package cluster gives
	// cluster.ErrNodeLeft for a goodbye, an error wrapping
	// cluster.ErrNodeSilent for missed heartbeats, and one wrapping
	// cluster.ErrNodeRestarted for a node replaced by a new incarnation.
	Reason error
}

// WatchNodes makes this actor hear about the other nodes of the cluster: it
// returns the nodes known to be alive now (sorted), and from then on every
// change arrives as a NodeUp or NodeDown message, each once, in the order
// the changes happened, so the list plus the messages always give the
// current set. Calling it again while watching returns the list again,
// which may already count changes whose messages are still on their way
// (treat those as set operations: a repeat changes nothing). A system
// without a cluster has no other nodes: WatchNodes returns nil and nothing
// arrives. Call it on the actor's own goroutine (in Receive).
//
// Watching ends with UnwatchNodes, and by itself when the actor closes or
// stops; a supervised restart keeps the actor's ID and so keeps watching
// (call WatchNodes in Started to learn the nodes again; messages queued
// before the restart may then repeat what the list says). The messages
// come from outside any actor (Sender is zero) through the shard's inbox,
// like System.Send's; one on its way to an actor that closes meanwhile is
// a dead letter like any other.
func (c *Context) WatchNodes() []int {
	if c.conn == nil || c.sys.cfg.remote == nil {
		return nil
	}
	w := &c.sys.nodes
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.watchers[c.self]; !ok {
		w.watchers[c.self] = struct{}{}
		w.watching.Add(1)
	}
	return w.list()
}

// UnwatchNodes ends WatchNodes: no NodeUp or NodeDown is sent to this actor
// after it returns (one already on its way may still arrive).
func (c *Context) UnwatchNodes() {
	if c.conn == nil {
		return
	}
	c.sys.unwatch(c.self)
}

// Nodes returns the other nodes of the cluster known to be alive now, sorted:
// what WatchNodes returns, without watching. Nil for a system without a
// cluster or one that is not running. Safe from any goroutine.
func (s *System) Nodes() []int {
	if !s.set.Running() || s.cfg.remote == nil {
		return nil
	}
	w := &s.nodes
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.list()
}

// NodeUp reports that node became known to be alive: every watching actor
// gets NodeUp{node} (see WatchNodes). A node already up, this system's own
// node, or a number out of range changes nothing. It returns the first
// error of a delivery that failed (a watcher's shard inbox stayed full);
// the other watchers still get theirs.
//
// The Remote calls it from its own goroutines, never a shard's, and must
// make its NodeUp and NodeDown calls in the order the changes happened
// (calls are delivered one at a time, each to every watcher, before the
// next starts). It should know the node alive before it calls, so that a
// watcher's sends to it work when the NodeUp arrives.
func (l *Local) NodeUp(node int) error {
	return l.sys.nodes.report(l.sys, node, true, NodeUp{Node: node})
}

// NodeDown reports that node left or is presumed dead, for reason: every
// watching actor gets NodeDown{node, reason}. A node not up changes
// nothing. Its goroutine contract and errors are NodeUp's; the Remote
// should have forgotten the node before it calls, so that a watcher's sends
// to it fail at once when the NodeDown arrives.
//
// Requests and asks still waiting for an actor of that node are answered
// at once with an error wrapping ErrNodeDown (and reason): no answer will
// come through a node that is gone.
func (l *Local) NodeDown(node int, reason error) error {
	err := l.sys.nodes.report(l.sys, node, false, NodeDown{Node: node, Reason: reason})
	l.sys.failWaitingFor(node, reason)
	return err
}

// failWaitingFor answers every Ask and Request waiting for an actor of
// node, which went down for reason.
func (s *System) failWaitingFor(node int, reason error) {
	err := fmt.Errorf("%w: node %d: %w", ErrNodeDown, node, reason)
	s.asks.failNode(node, err)
	for i, h := range s.handlers {
		_ = s.set.Post(i, func() { h.failRequestsTo(node, err) }) // a stopping system answers nothing more
	}
}

// nodeWatch is one system's view of the other nodes and the actors watching
// them. Shards take mu only for a few map operations (WatchNodes,
// UnwatchNodes, an actor's close) and never wait for a delivery: the
// reporting goroutine copies the watchers under mu and sends after
// releasing it.
type nodeWatch struct {
	// send is held by a goroutine of the Remote for the whole of one
	// report, so reports reach every watcher in the order they were made.
	// Never taken on a shard.
	send     sync.Mutex
	mu       sync.Mutex       // guards up and watchers
	up       map[int]struct{} // the other nodes known alive
	watchers map[ID]struct{}  // the actors watching
	scratch  []ID             // the watchers one report delivers to; under send
	watching atomic.Int64     // len(watchers), read without mu by every close
}

func newNodeWatch() nodeWatch {
	return nodeWatch{up: make(map[int]struct{}), watchers: make(map[ID]struct{})}
}

// list returns the nodes up, sorted. w.mu held.
func (w *nodeWatch) list() []int {
	out := make([]int, 0, len(w.up))
	for n := range w.up {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// report records node as up or down and, if that changed anything, sends
// msg to every watcher.
func (w *nodeWatch) report(s *System, node int, up bool, msg any) error {
	if node == s.cfg.Node || node < 0 || node > shard.MaxNode {
		return nil
	}
	w.send.Lock()
	defer w.send.Unlock()
	w.mu.Lock()
	if _, was := w.up[node]; was == up {
		w.mu.Unlock()
		return nil
	}
	if up {
		w.up[node] = struct{}{}
	} else {
		delete(w.up, node)
	}
	for id := range w.watchers {
		w.scratch = append(w.scratch, id)
	}
	w.mu.Unlock()
	var first error
	for _, id := range w.scratch {
		// A watcher that closed since it was copied makes a dead letter,
		// like any message to an actor that is gone.
		if err := s.set.Send(uint64(id), 0, msg); err != nil && !errors.Is(err, ErrStopped) && first == nil {
			first = err
		}
	}
	clear(w.scratch)
	w.scratch = w.scratch[:0]
	return first
}

// unwatch ends id's watch, if any.
func (s *System) unwatch(id ID) {
	w := &s.nodes
	w.mu.Lock()
	if _, ok := w.watchers[id]; ok {
		delete(w.watchers, id)
		w.watching.Add(-1)
	}
	w.mu.Unlock()
}

// nodesClosed ends the watch of c's actor, which is closing or stopping.
// Called by Closed on the shard goroutine; while no actor of the system
// watches, it reads one atomic.
func (h *handler) nodesClosed(c *shard.Conn) {
	if h.sys.nodes.watching.Load() == 0 { // fast path
		return
	}
	h.sys.unwatch(ID(h.sh.Addr(c)))
}
