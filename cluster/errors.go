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

// ErrFeedGap is wrapped by the error OnError sees when a node's live feed
// of a history stream found publications gone before it read them: a
// group got more publications than its History while the feed was behind,
// and JetStream dropped the oldest. This node's members of that group miss
// them (as a member recovering from before them would).
var ErrFeedGap = errors.New("cluster: publications dropped before the live feed read them")
