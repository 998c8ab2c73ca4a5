package shard

import "sync/atomic"

// counters are a shard's running totals, written by the shard goroutine and
// read by anyone.
type counters struct {
	opened, closed, openFailures atomic.Uint64
	msgsIn, msgsOut, delivered   atomic.Uint64
	bytesIn, bytesOut            atomic.Uint64
	deadLetters, inboxFull       atomic.Uint64
	writesDropped                atomic.Uint64
	pollErrors                   atomic.Uint64
	closeTimeouts                atomic.Uint64
	tlsHandshakes, tlsResumed    atomic.Uint64
	tlsFailures                  atomic.Uint64
	tlsWaiting, tlsRunning       atomic.Int64
}

// hotCounters are the per-message counters, kept in plain fields by the
// shard goroutine and added to the shared atomic counters once per turn, so
// the hot path pays no atomic instruction per message.
type hotCounters struct {
	delivered, msgsIn, msgsOut, bytesIn, bytesOut uint64
}

// publishStats moves the turn's hot counters into the shared ones.
func (s *Shard) publishStats() {
	h := &s.hot
	if h.delivered != 0 {
		s.stats.delivered.Add(h.delivered)
	}
	if h.msgsIn != 0 {
		s.stats.msgsIn.Add(h.msgsIn)
	}
	if h.msgsOut != 0 {
		s.stats.msgsOut.Add(h.msgsOut)
	}
	if h.bytesIn != 0 {
		s.stats.bytesIn.Add(h.bytesIn)
	}
	if h.bytesOut != 0 {
		s.stats.bytesOut.Add(h.bytesOut)
	}
	*h = hotCounters{}
}

// Stats is a snapshot of one shard's counters.
type Stats struct {
	Shard       int // the shard's index
	Connections int // open connections now
	Actors      int // spawned actors (without a connection) now
	InboxDepth  int // messages waiting in the shard's inbox now (approximate)

	Opened uint64 // connections opened (accepted or adopted)
	Closed uint64 // connections closed
	// OpenFailures counts accepted sockets that were closed at once because
	// the shard could not open them: no free slot, a poller error, or an
	// inbox that stayed full on the socket's way to the shard. (Sockets
	// refused for MaxConns are counted by Listener.Refused.)
	OpenFailures uint64

	MessagesIn  uint64 // messages decoded from the wire
	MessagesOut uint64 // messages written to connections
	BytesIn     uint64 // bytes read
	BytesOut    uint64 // bytes written
	Delivered   uint64 // actor-to-actor messages delivered

	// DeadLetters counts messages that reached no actor: their target was
	// gone, or a send from this shard was dropped for a full inbox.
	DeadLetters uint64
	// InboxFull counts sends that failed with ErrInboxFull: sends into this
	// shard's inbox through the Set (Send, Publish, Spawn, Post, Adopt, the
	// acceptor), and sends from this shard whose retry queue for their
	// target was at its bound.
	InboxFull uint64
	// WritesDropped counts writes to connections that were not sent:
	// dropped under DropWrites (ErrBackpressure), a datagram the socket had
	// no room for, or a Broadcast the connection's codec could not encode.
	WritesDropped uint64
	// CloseTimeouts counts connections reset because their peer did not
	// take their last bytes within the close timeout.
	CloseTimeouts uint64
	PollErrors    uint64 // poller failures (should stay 0)

	// TLSHandshakes counts TLS handshakes completed, TLSResumed those of
	// them that resumed a session (a ticket).
	TLSHandshakes, TLSResumed uint64
	// TLSFailures counts TLS connections closed for a TLS failure: a
	// handshake that failed or timed out, first bytes that were not TLS, a
	// bad record, or a close before the handshake ended.
	TLSFailures uint64
	// TLSRunning is the TLS handshakes of this shard under way now, and
	// TLSWaiting the TLS connections waiting for a place to start theirs
	// (Config.MaxHandshakes).
	TLSRunning, TLSWaiting int
}

// Stats returns a snapshot of the shard's counters. Safe from any goroutine;
// the fields are read one by one, so a snapshot taken while the shard runs is
// not atomic as a whole, and per-message counts lag by at most one loop turn.
func (s *Shard) Stats() Stats {
	c := &s.stats
	return Stats{
		Shard:         s.index,
		Connections:   int(s.conns.Load()),
		Actors:        int(s.actors.Load()),
		InboxDepth:    s.inbox.Depth(),
		Opened:        c.opened.Load(),
		Closed:        c.closed.Load(),
		OpenFailures:  c.openFailures.Load(),
		MessagesIn:    c.msgsIn.Load(),
		MessagesOut:   c.msgsOut.Load(),
		Delivered:     c.delivered.Load(),
		BytesIn:       c.bytesIn.Load(),
		BytesOut:      c.bytesOut.Load(),
		DeadLetters:   c.deadLetters.Load(),
		InboxFull:     c.inboxFull.Load(),
		WritesDropped: c.writesDropped.Load(),
		PollErrors:    c.pollErrors.Load(),
		CloseTimeouts: c.closeTimeouts.Load(),
		TLSHandshakes: c.tlsHandshakes.Load(),
		TLSResumed:    c.tlsResumed.Load(),
		TLSFailures:   c.tlsFailures.Load(),
		TLSRunning:    int(c.tlsRunning.Load()),
		TLSWaiting:    int(c.tlsWaiting.Load()),
	}
}
