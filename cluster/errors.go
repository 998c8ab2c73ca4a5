package cluster

import (
	"errors"
	"fmt"
)

// Errors of a node.
var (
	// ErrNoNode is returned for a send to a node this node does not know to
	// be alive: it never announced itself, or it was reported down (see
	// ErrNodeLeft, ErrNodeSilent, ErrNodeRestarted) and has not come back.
	ErrNoNode = errors.New("cluster: no such node")
	// ErrNodeTaken is returned by Start when another live node already has
	// this node's number.
	ErrNodeTaken = errors.New("cluster: node number already taken")
	// ErrNotRunning is returned for a send through a node that is not
	// started or already stopped.
	ErrNotRunning = errors.New("cluster: node not running")
	// ErrBadConfig is wrapped by New's error for an invalid Config.
	ErrBadConfig = errors.New("cluster: invalid config")

	// ErrTooLarge is returned for a message whose envelope is larger than
	// the NATS server's maximum payload.
	ErrTooLarge = errors.New("cluster: message larger than the NATS maximum payload")
	// ErrBacklog is returned for a send while more than Config.MaxPending
	// bytes wait to be published (NATS cannot keep up, or the connection is
	// down): the message is not sent, and the caller, not the shard, decides
	// what to do.
	ErrBacklog = errors.New("cluster: too much waiting to be published")
	// ErrMalformed is wrapped by the error for a message from the cluster
	// that is not a valid envelope.
	ErrMalformed = errors.New("cluster: malformed envelope")
	// ErrGroupTooLong is returned for a publish or broadcast to a group
	// whose name is longer than MaxGroupLen.
	ErrGroupTooLong = fmt.Errorf("cluster: group name longer than %d bytes", MaxGroupLen)
)

// Reasons of an actor.NodeDown, the event of a node that left the cluster.
var (
	// ErrNodeLeft is the reason of a node that said goodbye: it stopped
	// cleanly (System.Stop).
	ErrNodeLeft = errors.New("cluster: node left")
	// ErrNodeSilent is wrapped by the reason of a node presumed dead: no
	// heartbeat of it was heard for Config.HeartbeatMisses heartbeats (it
	// was killed, its machine or network failed, or it stalled).
	ErrNodeSilent = errors.New("cluster: node missed its heartbeats")
	// ErrNodeRestarted is wrapped by the reason of a node whose number a
	// new incarnation took (it restarted before it was presumed dead); the
	// new one's NodeUp follows.
	ErrNodeRestarted = errors.New("cluster: node restarted")
)

// ErrNoJetStream is wrapped by the error of a group store's Start when the
// system has group settings (actor.Groups) and the NATS server it is
// connected to has no JetStream, where they are kept.
var ErrNoJetStream = errors.New("cluster: no JetStream on the NATS server")

// ErrFeedGap is wrapped by the error OnError sees (a *FeedGapError) when
// this node's live feed of a history group missed publications it cannot
// read back from the stream: they were republished while this node could
// not take them (a slow consumer, a reconnect, a route still learning of
// its subscription) and the group's limits (History, HistoryAge) dropped
// them before the feed read them back. This node's members of the group
// miss them (as a member recovering from before them would).
var ErrFeedGap = errors.New("cluster: publications of a history group missed by the live feed")

// FeedGapError is the error of a gap of the live feed of a history group:
// the group's publications after position After and before Before (stream
// sequences, both excluded) that this node did not deliver. With Err nil
// they were dropped by the group's history limits before the feed read
// them back (what was there may have been fewer: the stream does not
// remember what it dropped); with Err set, the feed failed to read them
// (the stream could not be read, Err says why) and the range may be open
// (Before 0: up to the next publication delivered).
type FeedGapError struct {
	Node          int
	Group         string
	After, Before uint64
	Err           error
}

func (e *FeedGapError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v: node %d, group %q: after %d: %v", ErrFeedGap, e.Node, e.Group, e.After, e.Err)
	}
	return fmt.Sprintf("%v: node %d, group %q: after %d and before %d, dropped by the history limits before this node got them", ErrFeedGap, e.Node, e.Group, e.After, e.Before)
}

// Unwrap returns ErrFeedGap, and Err if set.
func (e *FeedGapError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrFeedGap, e.Err}
	}
	return []error{ErrFeedGap}
}
