package cluster

import (
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shoalrt/shoal/actor"
)

// SetFeedBuffer makes the nodes created from now on buffer n republished
// messages of history groups (instead of feedBuffer), so a test can force
// slow-consumer drops; restore undoes it.
func SetFeedBuffer(n int) (restore func()) {
	old := testFeedBuffer.Swap(int64(n))
	return func() { testFeedBuffer.Store(old) }
}

// SkipRepublished makes n's live feed of group (which must be followed)
// drop the next k republished messages of it, as if NATS had lost them.
func (n *Node) SkipRepublished(group string, k int) bool {
	f := n.store.followed(group)
	if f == nil {
		return false
	}
	f.skip.Store(int32(k))
	return true
}

// SetSweepEvery makes the running and future group stores' cleaner sweep
// every d (instead of sweepEvery) from their next sweep on; restore undoes
// it.
func SetSweepEvery(d time.Duration) (restore func()) {
	old := testSweepEvery.Swap(int64(d))
	return func() { testSweepEvery.Store(old) }
}

// PublicationWire returns the payload and headers n's store sends JetStream
// for a publication of msg by from on subject (its group's token from byte
// token on) with key (no headers without one): what a baseline must send to
// be compared with the store. n need not be started.
func (n *Node) PublicationWire(subject string, token int, from actor.ID, msg any, key string) ([]byte, nats.Header, error) {
	var pp pendingPub
	err := pp.encode(n.ser, subject, token, from, msg, key)
	return pp.msg.Data, pp.msg.Header, err
}

// DigestHeader is the header of a keyed publication's digest.
const DigestHeader = digestHeader

// CoalescedRecoveries is how many recoveries n's store served with a
// coalesced scan of their stream (store_coalesce.go).
func (n *Node) CoalescedRecoveries() int64 { return n.store.coalesced.Load() }
