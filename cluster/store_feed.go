package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shoalrt/shoal/actor"
)

// The live feed of history groups. Every history stream has RePublish: its
// leader publishes each message it stores, whole, on core NATS, on the
// group's subject under "r." (shoal.<cluster>.r.<hash>.<token>), with the
// headers Nats-Sequence (its stream sequence) and Nats-Last-Sequence (the
// sequence of the group's previous message still held when it was stored,
// 0 if none). A node subscribes to the republished subject of each history
// group it has members of (Interest), and nothing else: a publication costs
// one message to each node with members, none to the others.
//
// Per followed group the node keeps lastSeen, the sequence of the last
// publication of the group it handed to sink.Deliver. When the follow
// begins (the follower goroutine, or a Read that comes first) the node
// subscribes, flushes, and sets lastSeen to the group's last stored
// message. Then, for each republished message (S, L), on one goroutine
// (the delivery goroutine, so a group's publications reach the sink in
// order): S <= lastSeen is a duplicate (or stored before the follow began)
// and is dropped; L > lastSeen means this node missed a message of the
// group (a slow-consumer drop, a NATS route that had not yet learnt of the
// subscription, a stream leader change): the group's messages with
// lastSeen < seq < S are read from the stream and delivered first, in
// order; then S is, and lastSeen = S. What the stream no longer holds (the
// group's limits dropped it meanwhile) is reported: ErrFeedGap, naming the
// group and the range, and Stats.Dropped.
//
// The chain exposes a missed message only when the group's next one
// arrives. So the delivery goroutine also probes a group's last stored
// message (and repairs up to it) a moment after its follow began (the time
// a NATS cluster takes to carry the subscription to the stream leader's
// server), after a reconnect, after a slow-consumer drop, and after a
// stream leader election.

// Bounds of the live feed.
const (
	// feedBuffer is how many republished messages wait for the delivery
	// goroutine: past it NATS drops them (a slow consumer), and the chain
	// repairs from the stream.
	feedBuffer = 1 << 16
	// probeAfter is when a group's last stored message is probed after its
	// follow began, or after an event that may have lost republished
	// messages.
	probeAfter = time.Second
	// probeTick is how often the delivery goroutine looks for probes due.
	probeTick = 100 * time.Millisecond
	// repairChunk is how many messages a repair reads from the stream at a
	// time.
	repairChunk = 1024
	// ageMargin is the clock difference a repair allows between this node
	// and the NATS servers when it judges whether HistoryAge may have
	// dropped a missed message.
	ageMargin = time.Second
)

// follow is this node's live feed of one history group, while it has
// members of it.
type follow struct {
	group string
	h     *history
	subj  string // the group's stream subject
	rsubj string // its republished subject

	joined time.Time // when the node's first member joined (Interest)

	mu   sync.Mutex
	sub  *nats.Subscription
	shut bool // no more members: unsubscribed, or never to subscribe

	bmu    sync.Mutex // held by begin
	begun  bool       // subscribed, flushed, base read
	base   uint64     // the group's last stored message when the follow began (0: none)
	baseAt time.Time  // when it was stored (none: when the follow began)

	// The delivery goroutine's own.
	based    bool      // lastSeen set: from base, or (begin failing) from the first message's chain
	lastSeen uint64    // the last sequence handed to the sink
	lastAt   time.Time // when lastSeen was stored
	probing  time.Time // since when probes of the group have failed (zero: they have not)

	skip atomic.Int32 // tests: republished messages to drop as if missed (export_test.go)
}

// feed is the store's live feed of its followed groups; under the store's
// fmu.
type feed struct {
	in      chan *nats.Msg        // republished messages of every followed group
	groups  map[string]*follow    // by group
	bySubj  map[string]*follow    // by republished subject
	changes []*follow             // follows begun or ended, for the follower
	kick    chan struct{}         // the follower has changes (capacity 1)
	probes  map[*follow]time.Time // groups to probe, and when
	done    bool                  // the store stopped: nothing is followed any more
	advs    []*nats.Subscription  // stream leader elections
}

func (f *feed) init() {
	f.in = make(chan *nats.Msg, feedBufferSize())
	f.groups = make(map[string]*follow)
	f.bySubj = make(map[string]*follow)
	f.kick = make(chan struct{}, 1)
	f.probes = make(map[*follow]time.Time)
}

// testFeedBuffer, if set, replaces feedBuffer (export_test.go).
var testFeedBuffer atomic.Int64

// feedBufferSize is feedBuffer, or what a test set.
func feedBufferSize() int {
	if n := testFeedBuffer.Load(); n > 0 {
		return int(n)
	}
	return feedBuffer
}

// interest records that this node got its first member of group (on) or
// lost its last, and reports whether group is a history group of the
// running store, which then follows it (the follower subscribes): the node
// needs no core-NATS subscription for it. Called by Node.Interest under
// n.imu (so in the order of the calls), on a shard's goroutine: no NATS
// call here.
func (s *groupStore) interest(group string, on bool) bool {
	st := s.on.Load()
	if st == nil || len(st.hist) == 0 {
		return false
	}
	g, ok := st.sink.Match(group)
	if !ok || !g.HasHistory() || checkText(group, actor.MaxGroupName) != "" {
		return false
	}
	h := st.hist[g.Pattern]
	if h == nil {
		return false
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	fd := &s.feed
	if fd.done {
		return true
	}
	f := fd.groups[group]
	switch {
	case on && f == nil:
		f = &follow{group: group, h: h, subj: h.subject(group), rsubj: h.republished(group), joined: time.Now()}
		fd.groups[group] = f
		fd.bySubj[f.rsubj] = f
	case !on && f != nil:
		delete(fd.groups, group)
		delete(fd.bySubj, f.rsubj)
		delete(fd.probes, f)
	default:
		return true
	}
	fd.changes = append(fd.changes, f)
	select {
	case fd.kick <- struct{}{}:
	default:
	}
	return true
}

// followed returns the follow of group, or nil.
func (s *groupStore) followed(group string) *follow {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.feed.groups[group]
}

// current reports whether f is its group's follow (it has members).
func (s *groupStore) current(f *follow) bool {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.feed.groups[f.group] == f
}

// follower subscribes the follows begun and unsubscribes those ended, in
// the order Interest recorded them, until Stop.
func (s *groupStore) follower() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.feed.kick:
		}
		s.fmu.Lock()
		changes := s.feed.changes
		s.feed.changes = nil
		s.fmu.Unlock()
		for _, f := range changes {
			if s.ctx.Err() != nil {
				return
			}
			if !s.current(f) {
				f.end()
				continue
			}
			if err := s.begin(f); err != nil {
				// A Read or a republished message tries again.
				s.report(fmt.Errorf("cluster: node %d: beginning the live feed of %q: %w", s.n.node, f.group, err))
			}
			s.probe(f, probeAfter)
		}
	}
}

// begin subscribes to f's republished subject, flushes (the server has the
// subscription), and reads base, the group's last stored message, or the
// stream sequence just before the group's first message stored since the
// node's first member joined (less joinMargin) if that is earlier (then
// not a message of the group): every message stored after base reaches
// this node, republished or repaired, so nothing stored after the join is
// missed for want of a subscription yet.
// Whoever needs it first does it (the follower, a Read, the delivery
// goroutine), the others wait for it; if it fails, the next one tries
// again.
func (s *groupStore) begin(f *follow) error {
	f.bmu.Lock()
	defer f.bmu.Unlock()
	if f.begun {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, actor.StoreTimeout)
	defer cancel()
	began := time.Now()
	nc := s.js.Conn()
	f.mu.Lock()
	if f.shut { // no members any more: nothing to begin
		f.mu.Unlock()
		return nil
	}
	if f.sub == nil {
		sub, err := nc.ChanSubscribe(f.rsubj, s.feed.in)
		if err != nil {
			f.mu.Unlock()
			return storeErr("subscribing to the live feed", err)
		}
		f.sub = sub
	}
	f.mu.Unlock()
	if err := nc.FlushWithContext(ctx); err != nil {
		return storeErr("subscribing to the live feed", err)
	}
	// The leader's (store_direct.go): a replica behind it could give an
	// older base, and messages between the two would reach neither the
	// feed nor the Read that waits for this.
	last, err := f.h.leaderLast(ctx, nc, f.subj)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		f.base, f.baseAt = 0, began
	case err != nil:
		return storeErr("the group's last publication", err)
	case !last.Time.Before(f.joined.Add(-joinMargin)):
		// Stored around or after the first member's join: what was
		// stored since the join must reach the member, as in a plain
		// group, so the feed begins before the first publication stored
		// since (the probe after the follow began repairs up to last).
		since := f.joined.Add(-joinMargin)
		first, err := f.h.leaderGet(ctx, nc, &msgGetRequest{StartTime: &since, NextFor: f.subj})
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && first.Sequence > last.Sequence:
			f.base, f.baseAt = last.Sequence, last.Time // (dropped meanwhile)
		case err != nil:
			return storeErr("the group's first publication since the join", err)
		default:
			f.base, f.baseAt = first.Sequence-1, first.Time
		}
	default:
		f.base, f.baseAt = last.Sequence, last.Time
	}
	f.begun = true
	return nil
}

// joinMargin is how much earlier than a node's first join to a group its
// live feed of the group begins: the join is timed by this node's clock,
// the publications by the NATS server's, and a server's clock behind the
// node's by up to joinMargin loses nothing stored after the join. (A
// member may then get publications stored up to joinMargin before it
// joined: JoinSince is the exact way.)
const joinMargin = 250 * time.Millisecond

// based sets lastSeen from base, beginning f if need be, and reports
// whether it is set. If begin fails and the delivery goroutine holds a
// republished message of the group (have), whose previous one is last,
// that chain is taken for granted: what this node missed before it stays
// missed (reported), but no Read can have answered meanwhile (Read needs
// begin), so no recovery depends on it. The delivery goroutine only.
func (s *groupStore) based(f *follow, have bool, last uint64) bool {
	if f.based {
		return true
	}
	err := s.begin(f)
	switch {
	case err == nil:
		f.lastSeen, f.lastAt = f.base, f.baseAt
	case have:
		f.lastSeen, f.lastAt = last, time.Now()
		s.n.dropped.Add(1)
		s.report(&FeedGapError{Node: s.n.node, Group: f.group, Before: last + 1, Err: fmt.Errorf("beginning the live feed (publications stored before the first one it got are missed): %w", err)})
	default:
		return false
	}
	f.based = true
	return true
}

// end unsubscribes f: its group has no members here any more.
func (f *follow) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shut = true
	if f.sub != nil {
		f.sub.Unsubscribe()
		f.sub = nil
	}
}

// probe asks the delivery goroutine to look at f's group's last stored
// message after d and deliver what this node missed up to it.
func (s *groupStore) probe(f *follow, d time.Duration) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.feed.groups[f.group] != f {
		return
	}
	at := time.Now().Add(d)
	if old, ok := s.feed.probes[f]; !ok || at.Before(old) {
		s.feed.probes[f] = at
	}
}

// feeds reports whether sub is a subscription of the live feed.
func (s *groupStore) feeds(sub *nats.Subscription) bool {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	f := s.feed.bySubj[sub.Subject]
	return f != nil
}

// probeAll probes every followed group of stream h (every stream: nil)
// after d: republished messages may have been lost (a reconnect, a
// slow-consumer drop, a new stream leader) with none of the group's after
// them to show it. Any goroutine.
func (s *groupStore) probeAll(h *history, d time.Duration) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	at := time.Now().Add(d)
	for _, f := range s.feed.groups {
		if h != nil && f.h != h {
			continue
		}
		if old, ok := s.feed.probes[f]; !ok || at.Before(old) {
			s.feed.probes[f] = at
		}
	}
}

// deliverFeed hands the followed groups' publications to sink, each
// group's in order, from this one goroutine, until Stop.
func (s *groupStore) deliverFeed(sink actor.GroupSink) {
	defer s.wg.Done()
	t := time.NewTicker(probeTick)
	defer t.Stop()
	var env actor.Envelope
	for {
		select {
		case <-s.ctx.Done():
			return
		case m := <-s.feed.in:
			s.republished(sink, m, &env)
		case now := <-t.C:
			s.fmu.Lock()
			var due []*follow
			for f, at := range s.feed.probes {
				if !at.After(now) {
					due = append(due, f)
					delete(s.feed.probes, f)
				}
			}
			s.fmu.Unlock()
			for _, f := range due {
				if s.ctx.Err() != nil {
					return
				}
				s.probeLast(sink, f, &env)
			}
		}
	}
}

// republished delivers one republished message, repairing first what the
// chain shows missing. The delivery goroutine only.
func (s *groupStore) republished(sink actor.GroupSink, m *nats.Msg, env *actor.Envelope) {
	s.fmu.Lock()
	f := s.feed.bySubj[m.Subject]
	s.fmu.Unlock()
	if f == nil {
		return // no members any more
	}
	if f.skip.Load() > 0 && f.skip.Add(-1) >= 0 {
		return
	}
	seq, err1 := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
	last, err2 := strconv.ParseUint(m.Header.Get(jetstream.LastSequenceHeader), 10, 64)
	if err1 != nil || err2 != nil || seq == 0 || last >= seq {
		s.n.malformed.Add(1)
		s.n.report(logMalformed, malformed("node %d: republished message on %s without valid sequences (%q, %q)", s.n.node, m.Subject,
			m.Header.Get(jetstream.SequenceHeader), m.Header.Get(jetstream.LastSequenceHeader)))
		return
	}
	s.based(f, true, last)
	if seq <= f.lastSeen {
		return // delivered already, or stored before the follow began
	}
	if last > f.lastSeen {
		s.repairUntil(sink, f, seq, last, env)
	}
	at, err := time.Parse(time.RFC3339Nano, m.Header.Get(jetstream.TimeStampHeaer))
	if err != nil {
		at = time.Now()
	}
	p, err := decodePublication(f.group, f.h.epoch, seq, m.Data, env, s.n)
	f.lastSeen, f.lastAt = seq, at
	if err != nil {
		s.n.malformed.Add(1)
		s.n.report(logMalformed, fmt.Errorf("cluster: node %d: %w", s.n.node, err))
		return
	}
	s.hand(sink, &p)
}

// hand gives p to sink.
func (s *groupStore) hand(sink actor.GroupSink, p *actor.Publication) {
	if err := sink.Deliver(p); err != nil {
		s.n.dropped.Add(1)
		s.n.report(logDeliver, fmt.Errorf("cluster: node %d: delivering a publication of %q: %w", s.n.node, p.Group, err))
		return
	}
	s.n.received.Add(1)
}

// probeLast delivers what f's group stored up to its last message that
// this node has not. The delivery goroutine only.
func (s *groupStore) probeLast(sink actor.GroupSink, f *follow, env *actor.Envelope) {
	if !s.current(f) {
		return
	}
	var (
		last *jetstream.RawStreamMsg
		err  error
	)
	if s.based(f, false, 0) {
		ctx, cancel := context.WithTimeout(s.ctx, actor.StoreTimeout)
		last, err = f.h.leaderLast(ctx, s.js.Conn(), f.subj) // the leader's: it is repair's must
		cancel()
	} else {
		err = errors.New("the live feed could not begin")
	}
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		f.probing = time.Time{}
		return
	case err == nil && last.Sequence > f.lastSeen:
		err = s.repair(sink, f, last.Sequence+1, last.Sequence, env)
	}
	if err == nil || s.ctx.Err() != nil {
		f.probing = time.Time{}
		return
	}
	// The stream cannot be read now (a leader being elected, a server
	// gone): nothing is lost yet, look again later.
	if f.probing.IsZero() {
		f.probing = time.Now()
	}
	if time.Since(f.probing) < s.n.cfg.JetStreamWait {
		s.probe(f, probeAfter)
		return
	}
	f.probing = time.Time{}
	s.n.dropped.Add(1)
	s.report(&FeedGapError{Node: s.n.node, Group: f.group, After: f.lastSeen, Err: fmt.Errorf("probing for missed publications: %w", err)})
}

// repairUntil is repair for a republished message at upTo whose chain
// shows missed ones: while the stream cannot be read (a leader being
// elected), it tries again for up to Config.JetStreamWait, holding the
// feed (the group's later publications must wait for these), then reports
// the gap and goes on.
func (s *groupStore) repairUntil(sink actor.GroupSink, f *follow, upTo, must uint64, env *actor.Envelope) {
	deadline := time.Now().Add(s.n.cfg.JetStreamWait)
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		err := s.repair(sink, f, upTo, must, env)
		if err == nil || s.ctx.Err() != nil {
			return
		}
		if time.Now().After(deadline) {
			s.n.dropped.Add(1)
			s.report(&FeedGapError{Node: s.n.node, Group: f.group, After: f.lastSeen, Before: upTo, Err: fmt.Errorf("reading the missed publications back: %w", err)})
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// repair delivers the messages of f's group after lastSeen and before seq
// upTo, read from the stream, and reports those the stream no longer
// holds; it returns the error of a read of the stream that failed (what
// was read before it was delivered). must is a message of the group the
// stream's leader stored before upTo (the one the chain names, or the last
// a probe found): the read does not end short of it (see scan). The
// delivery goroutine only.
//
// What may be gone: history drops a group's oldest messages first (its
// count limit, its age limit), so if the message at lastSeen is still
// held, nothing after it was dropped. Otherwise nothing was dropped by
// count if the group holds fewer than History messages (without an age
// limit the count never falls), nor by age if lastSeen was stored less
// than HistoryAge ago; else the messages between lastSeen and the first
// one still held may have been dropped, and that range is reported.
func (s *groupStore) repair(sink actor.GroupSink, f *follow, upTo, must uint64, env *actor.Envelope) error {
	ctx, cancel := context.WithTimeout(s.ctx, actor.StoreTimeout)
	defer cancel()
	from, at := f.lastSeen, f.lastAt
	var (
		anchored bool   // the message at from is still held
		first    uint64 // the first message delivered
		count    int
	)
	err := s.scan(ctx, f.h, f.subj, max(from, 1), upTo-1, must, func(m *storedMsg) bool {
		seq := m.seq
		if seq <= from {
			anchored = anchored || seq == from
			return true
		}
		p, err := decodePublication(f.group, f.h.epoch, seq, m.data, env, s.n)
		f.lastSeen, f.lastAt = seq, m.at
		if first == 0 {
			first = seq
		}
		count++
		if err != nil {
			s.n.malformed.Add(1)
			s.n.report(logMalformed, fmt.Errorf("cluster: node %d: %w", s.n.node, err))
			return true
		}
		s.hand(sink, &p)
		return true
	})
	s.n.repaired.Add(uint64(count))
	if err != nil && first == 0 {
		return err // nothing read: the caller tries again from the same place
	}
	end := upTo
	if first != 0 {
		end = first
	}
	if !anchored && end > from+1 && s.mayHaveDropped(ctx, f, at) {
		s.n.dropped.Add(1)
		s.report(&FeedGapError{Node: s.n.node, Group: f.group, After: from, Before: end})
	}
	return err
}

// mayHaveDropped reports whether the history limits of f's group may have
// dropped messages stored after at (see repair).
func (s *groupStore) mayHaveDropped(ctx context.Context, f *follow, at time.Time) bool {
	g := f.h.settings
	if g.HistoryAge > 0 && time.Since(at) >= g.HistoryAge-ageMargin {
		return true
	}
	if g.History == 0 {
		return false
	}
	info, err := f.h.stream.Info(ctx, jetstream.WithSubjectFilter(f.subj))
	if err != nil {
		return true
	}
	return info.State.Subjects[f.subj] >= uint64(g.History)
}

// followFeed starts the live feed: the delivery goroutine, the follower,
// the streams' leader-election watch, and the follows of the groups that
// had members before the store started. Start only, running.
func (s *groupStore) followFeed(on *storeOn) {
	if len(on.hist) == 0 {
		return
	}
	s.wg.Add(2)
	go s.deliverFeed(on.sink)
	go s.follower()
	nc := s.js.Conn()
	for _, h := range on.hist {
		// A new leader republishes from its election on: what the old one
		// stored last may not have been republished.
		sub, err := nc.Subscribe(jsAdvisoryLeaderElected+h.name, func(*nats.Msg) { s.probeAll(h, probeAfter) })
		if err != nil {
			s.report(fmt.Errorf("cluster: node %d: watching the leader elections of %s: %w", s.n.node, h.name, err))
			continue
		}
		s.fmu.Lock()
		s.feed.advs = append(s.feed.advs, sub)
		s.fmu.Unlock()
	}
	n := s.n
	n.imu.Lock()
	for g := range n.want {
		if s.interest(g, true) {
			n.dirty[g] = struct{}{} // the flusher drops its core-NATS subscription
		}
	}
	n.imu.Unlock()
	select {
	case n.batch.kick <- struct{}{}:
	default:
	}
}

// jsAdvisoryLeaderElected is the prefix of the subject of JetStream's
// advisory of a stream's new leader.
const jsAdvisoryLeaderElected = "$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED."

// stopFeed ends every follow. Stop only, after the store's context was
// canceled.
func (s *groupStore) stopFeed() {
	s.fmu.Lock()
	s.feed.done = true
	follows := s.feed.groups
	s.feed.groups, s.feed.bySubj = map[string]*follow{}, map[string]*follow{}
	clear(s.feed.probes)
	changes := s.feed.changes
	s.feed.changes = nil
	advs := s.feed.advs
	s.feed.advs = nil
	s.fmu.Unlock()
	for _, f := range follows {
		f.end()
	}
	for _, f := range changes {
		f.end()
	}
	for _, sub := range advs {
		sub.Unsubscribe()
	}
}
