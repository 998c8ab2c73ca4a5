package cluster

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// History streams. Each GroupSettings with history has one stream,
// SHOAL_<cluster>_H_<hash> (hash: 8 hex digits of the FNV-32a of its
// pattern) on the subjects shoal.<cluster>.h.<hash>.>; a group's
// publications go to shoal.<cluster>.h.<hash>.<token>, token its name in
// unpadded base64url (any name fits a subject token that way). The limits
// are per subject (MaxMsgsPerSubject = History, MaxAge = HistoryAge), so a
// group is a subject, not a stream: 10 000 idle groups cost one stream and
// 10 000 subjects' index entries.
//
// A Position is (stream creation time in nanoseconds, stream sequence):
// sequences grow across every group of the stream, and a stream deleted and
// made again is a new epoch.

// digestHeader carries the hex FNV-64a of a keyed publication's message (its
// payload encoded without the publisher), to tell a resend (same message)
// from a key reused for another.
const digestHeader = "Shoal-Digest"

// patternMeta is the stream metadata key naming the settings pattern a
// stream was made for (two patterns with the same hash are refused).
const patternMeta = "shoal_pattern"

// history is one history stream.
type history struct {
	settings  actor.GroupSettings
	name      string // stream name
	subjects  string // subject prefix of its groups: "shoal.<cluster>.h.<hash>."
	republish string // prefix of their republished subjects: "shoal.<cluster>.r.<hash>."
	epoch     uint64 // the stream's creation time, unix ns
	stream    jetstream.Stream

	// The subjects of the groups published to lately (pubSubject), by
	// group: read by every Publish (any shard, hot), written on a miss.
	// subjCount is how many were added since the cache was last cleared.
	subjCache sync.Map // string -> string
	subjCount atomic.Int32
}

// maxCachedSubjects bounds a history's subject cache: past it the cache is
// cleared and fills again with the groups published to from then on (a
// group costs about 150 bytes there, so at most about 600 KB per stream).
const maxCachedSubjects = 4096

// subject returns group's subject in h.
func (h *history) subject(group string) string {
	return h.subjects + base64.RawURLEncoding.EncodeToString([]byte(group))
}

// pubSubject is subject(group), from h's cache: base64 and the
// concatenation cost two allocations a call, which every publication of a
// group would otherwise pay again. Any goroutine.
func (h *history) pubSubject(group string) string {
	if v, ok := h.subjCache.Load(group); ok {
		return v.(string)
	}
	subj := h.subject(group)
	if h.subjCount.Add(1) > maxCachedSubjects {
		// Concurrent misses may each clear it, or add one just after:
		// the bound is approximate, the entries always right.
		h.subjCache.Clear()
		h.subjCount.Store(0)
	}
	h.subjCache.Store(group, subj)
	return subj
}

// republished returns the subject on which group's stored messages are
// republished.
func (h *history) republished(group string) string {
	return h.republish + base64.RawURLEncoding.EncodeToString([]byte(group))
}

// group returns the group of a subject of h.
func (h *history) group(subject string) (string, error) {
	if len(subject) <= len(h.subjects) || subject[:len(h.subjects)] != h.subjects {
		return "", malformed("stored publication on subject %q, not under %q", subject, h.subjects)
	}
	b, err := base64.RawURLEncoding.DecodeString(subject[len(h.subjects):])
	if err != nil {
		return "", malformed("stored publication on subject %q: %v", subject, err)
	}
	return string(b), nil
}

func patternHash(pattern string) string {
	f := fnv.New32a()
	f.Write([]byte(pattern))
	return fmt.Sprintf("%08x", f.Sum32())
}

// FNV-64a's parameters (hash/fnv).
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// publicationDigest returns the digest of a keyed publication (the hex
// FNV-64a of its payload encoded without its publisher) from payload, the
// envelope appendEnvelope wrote with the publisher: the two encodings
// differ only in From, 8 bytes at a fixed offset whatever the rest (see
// wire.go), zeros without a publisher. So the digest is the FNV-64a of
// payload with those bytes taken as zeros: the value stored messages
// carry, without a second encoding, with one allocation (the string).
func publicationDigest(payload []byte) string {
	const from = headerLen - 8 // wire.go: version, kind, flags, To, then From
	h := fnvAdd(fnvOffset64, payload[:from])
	for range 8 {
		h *= fnvPrime64 // h ^= 0
	}
	h = fnvAdd(h, payload[from+8:])
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], h)
	var text [16]byte
	hex.Encode(text[:], sum[:])
	return string(text[:])
}

// fnvAdd returns FNV-64a hash h continued over b.
func fnvAdd(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	return h
}

// openHistory creates or updates the stream of g. Start only.
func (s *groupStore) openHistory(ctx context.Context, js jetstream.JetStream, g actor.GroupSettings, have map[string]*history) (*history, error) {
	hash := patternHash(g.Pattern)
	name := "SHOAL_" + s.n.cfg.Name + "_H_" + hash
	for _, o := range have {
		if o.name == name {
			return nil, fmt.Errorf("%w: group patterns %q and %q have the same stream (%s): rename one", ErrBadConfig, o.settings.Pattern, g.Pattern, name)
		}
	}
	h := &history{settings: g, name: name, subjects: s.n.prefix + "h." + hash + ".", republish: s.n.prefix + "r." + hash + "."}
	if st, err := js.Stream(ctx, name); err == nil {
		if p := st.CachedInfo().Config.Metadata[patternMeta]; p != g.Pattern {
			return nil, fmt.Errorf("%w: stream %s holds the groups of pattern %q, not %q: rename one", ErrBadConfig, name, p, g.Pattern)
		}
	} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("cluster: group store: stream %s: %w", name, err)
	}
	perSubject := int64(g.History)
	if perSubject == 0 {
		perSubject = -1
	}
	dups := g.DedupWindow
	if g.HistoryAge > 0 && dups > g.HistoryAge { // JetStream keeps no key longer than its messages
		dups = g.HistoryAge
	}
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              name,
		Description:       "shoal cluster " + s.n.cfg.Name + ": history of groups " + g.Pattern,
		Subjects:          []string{h.subjects + ">"},
		Retention:         jetstream.LimitsPolicy,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgsPerSubject: perSubject,
		MaxAge:            g.HistoryAge,
		Discard:           jetstream.DiscardOld,
		Duplicates:        dups,
		Storage:           s.n.cfg.Storage.js(),
		Replicas:          s.n.cfg.Replicas,
		Metadata:          map[string]string{patternMeta: g.Pattern},
		// The live feed (store_feed.go): the stream's leader publishes
		// every message it stores, whole, on the group's subject under
		// "r." with its sequence and the sequence of the group's
		// previous message (Nats-Sequence, Nats-Last-Sequence).
		RePublish: &jetstream.RePublish{Source: h.subjects + "*", Destination: h.republish + "{{wildcard(1)}}"},
		// History reads are batched direct gets, which every replica
		// answers (store_direct.go). A stream made before this has it
		// turned on here: CreateOrUpdateStream updates an existing
		// stream's config, and AllowDirect is one a stream may change.
		AllowDirect: true,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: group store: stream %s for groups %q: %w", name, g.Pattern, err)
	}
	h.stream = st
	h.epoch = uint64(st.CachedInfo().Created.UnixNano())
	return h, nil
}

// publication decodes a stored message of h.
func (h *history) publication(m jetstream.Msg, env *actor.Envelope, n *Node, epoch uint64) (actor.Publication, error) {
	md, err := m.Metadata()
	if err != nil {
		return actor.Publication{}, malformed("stored publication without metadata: %v", err)
	}
	group, err := h.group(m.Subject())
	if err != nil {
		return actor.Publication{}, err
	}
	return decodePublication(group, epoch, md.Sequence.Stream, m.Data(), env, n)
}

// decodePublication decodes the stored message at seq of group.
func decodePublication(group string, epoch, seq uint64, data []byte, env *actor.Envelope, n *Node) (actor.Publication, error) {
	if err := decodeEnvelope(data, env, n.ser); err != nil {
		return actor.Publication{}, fmt.Errorf("stored publication %d of %q: %w", seq, group, err)
	}
	p := actor.Publication{Group: group, Position: actor.Position{Epoch: epoch, Seq: seq}, From: env.From, Msg: env.Msg}
	*env = actor.Envelope{}
	return p, nil
}

// historyOf returns the stream of group, which must have history.
func (s *groupStore) historyOf(group string) (*storeOn, *history, error) {
	on := s.on.Load()
	if on == nil {
		return nil, nil, errStopped
	}
	if e := checkText(group, actor.MaxGroupName); e != "" {
		return nil, nil, fmt.Errorf("%w: %s", actor.ErrBadGroup, e)
	}
	g, ok := on.sink.Match(group)
	if !ok || !g.HasHistory() {
		return nil, nil, fmt.Errorf("%w: %q", actor.ErrNoHistory, group)
	}
	h := on.hist[g.Pattern]
	if h == nil {
		return nil, nil, fmt.Errorf("%w: %q", actor.ErrNoHistory, group)
	}
	return on, h, nil
}

// Publish stores p in its group's stream (an asynchronous JetStream
// publish: the shard never waits), deduplicated by key within the group's
// DedupWindow; ack gets the PubAck's position, on the connection's
// goroutine (or, for a duplicate, a worker's, after the stored message's
// digest was compared). Any goroutine.
//
// Its own cost per publication is what nats.go needs handed to it: one
// allocation holding the nats.Msg and the bookkeeping (pendingPub), the
// payload, and with a key the header map, the Msg-Id and the digest; the
// subject comes from a cache, the payload is encoded once.
func (s *groupStore) Publish(p *actor.Publication, key string, ack func(actor.Published, error)) error {
	on, h, err := s.historyOf(p.Group)
	if err != nil {
		return err
	}
	if key != "" {
		if e := checkText(key, actor.MaxIdempotencyKey); e != "" {
			return fmt.Errorf("%w: %s", actor.ErrBadKey, e)
		}
	}
	pp := &pendingPub{group: p.Group, h: h, ack: ack}
	if err := pp.encode(s.n.ser, h.pubSubject(p.Group), len(h.subjects), p.From, p.Msg, key); err != nil {
		return err
	}
	m := &pp.msg
	s.mu.Lock()
	switch {
	case s.state != storeRunning:
		s.mu.Unlock()
		return errStopped
	case len(s.pubs) >= maxPendingPubs:
		s.mu.Unlock()
		return fmt.Errorf("%w (%d publications waiting for JetStream)", ErrBacklog, maxPendingPubs)
	}
	if max := on.js.Conn().MaxPayload(); int64(len(m.Data)+512+len(m.Subject)) > max {
		s.mu.Unlock()
		return fmt.Errorf("%w: %d bytes, at most about %d", ErrTooLarge, len(m.Data), max-512)
	}
	s.pubs[m] = pp
	s.mu.Unlock()
	if _, err := on.js.PublishMsgAsync(m); err != nil {
		s.mu.Lock()
		_, mine := s.pubs[m]
		delete(s.pubs, m)
		s.mu.Unlock()
		if !mine { // Stop answered it already
			return nil
		}
		return fmt.Errorf("cluster: publishing to %q: %w", p.Group, err)
	}
	return nil
}

// encode makes pp.msg the publication of msg by from on subject (its
// group's token from byte token on), keyed with key ("" for none). The
// payload is encoded once; with a key, the Msg-Id is the group's token and
// the key (JetStream's dedup is per stream, keys are per group), and the
// digest is the message's alone: a client that resends after a reconnect
// does so through another actor, maybe on another node, so the publisher
// differs and must not count.
func (pp *pendingPub) encode(ser *codec.MsgpackSerializer, subject string, token int, from actor.ID, msg any, key string) error {
	payload, err := appendEnvelope(make([]byte, 0, payloadHint), &actor.Envelope{Kind: actor.KindPublish, From: from, Msg: msg}, ser)
	if err != nil {
		return err
	}
	m := &pp.msg
	m.Subject, m.Data = subject, payload
	if key != "" {
		pp.hdr[0] = subject[token:] + "." + key
		pp.hdr[1] = publicationDigest(payload)
		m.Header = nats.Header{jetstream.MsgIDHeader: pp.hdr[0:1:1], digestHeader: pp.hdr[1:2:2]}
	}
	return nil
}

// payloadHint is the capacity a publication's payload is encoded into: the
// envelope's header (20 bytes here) and a message of a few dozen bytes (a
// line of chat, its type's tag) fit without the buffer growing; a larger
// message grows it, a cost small beside its own.
const payloadHint = 128

// take removes and returns the publication waiting for m's PubAck, or nil
// if Stop took it; a publication taken is counted in s.handlers until
// done() is called.
func (s *groupStore) take(m *nats.Msg) *pendingPub {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pubs[m]
	if p == nil {
		return nil
	}
	delete(s.pubs, m)
	s.handlers.Add(1) // before Stop's Wait: Stop empties pubs under mu first
	return p
}

// acked is the PubAck handler (the connection's goroutine).
func (s *groupStore) acked(_ jetstream.JetStream, m *nats.Msg, pa *jetstream.PubAck) {
	p := s.take(m)
	if p == nil {
		return
	}
	defer s.handlers.Done()
	if p.ack == nil {
		return
	}
	pos := actor.Position{Epoch: p.h.epoch, Seq: pa.Sequence}
	if !pa.Duplicate {
		p.ack(actor.Published{Group: p.group, Position: pos}, nil)
		return
	}
	want := m.Header.Get(digestHeader)
	fail := func(err error) { p.ack(actor.Published{Group: p.group}, err) }
	run := func(ctx context.Context) {
		// The leader's (store_direct.go): a replica behind it may not
		// have stored the original yet, and would call it gone.
		stored, err := p.h.leaderMsg(ctx, s.js.Conn(), pa.Sequence, "")
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			// Dropped from history since: it was stored, and its digest
			// cannot be compared; the resend is taken for what it says.
		case err != nil:
			fail(storeErr("checking a duplicate", err))
			return
		case stored.Header.Get(digestHeader) != want || stored.Subject != m.Subject:
			fail(fmt.Errorf("%w: group %q, position %v", actor.ErrKeyReused, p.group, pos))
			return
		}
		p.ack(actor.Published{Group: p.group, Position: pos, Duplicate: true}, nil)
	}
	if !s.enqueue(&s.work, job{run: run, fail: fail}) {
		fail(errStopped)
	}
}

// notAcked is the handler of a publication JetStream did not store (the
// connection's goroutine, or a timer's).
func (s *groupStore) notAcked(_ jetstream.JetStream, m *nats.Msg, err error) {
	p := s.take(m)
	if p == nil {
		return
	}
	defer s.handlers.Done()
	err = storeErr(fmt.Sprintf("storing a publication of %q", p.group), err)
	if p.ack != nil {
		p.ack(actor.Published{Group: p.group}, err)
		return
	}
	s.n.dropped.Add(1)
	s.n.report(logStore, fmt.Errorf("cluster: node %d: %w", s.n.node, err))
}

// Read answers with publications of group (see actor.GroupStore), on a
// worker. Any goroutine.
func (s *groupStore) Read(group string, recover bool, since actor.Position, n, max int, reply func(actor.History, error)) {
	_, h, err := s.historyOf(group)
	if err != nil {
		go reply(actor.History{Group: group}, err)
		return
	}
	s.submit(&s.work, job{
		run: func(ctx context.Context) {
			if recover {
				// The seam (see read): this node's live feed of the group
				// must have begun before the group's latest is read.
				if f := s.followed(group); f != nil {
					if err := s.begin(f); err != nil {
						reply(actor.History{Group: group}, err)
						return
					}
				}
			}
			hist, rec, err := s.read(ctx, h, group, recover, since, n, max)
			if rec != nil { // its scan is left to the stream's coalescer
				rec.reply = reply
				s.recoverLater(h, rec)
				return
			}
			reply(hist, err)
		},
		fail: func(err error) { reply(actor.History{Group: group}, err) },
	})
}

// read is Read on a worker. The group's latest message is taken first, and
// what is returned is every message of the group after since (or the last
// n) up to it: a publication after it was stored after the request began,
// and reaches the node's members through the live feed.
//
// Why there is no gap at the seam of a recovery. The member's shard joined
// it before asking (Interest came first, on that shard), so the group is
// followed, and Read began the follow before reading (or failed, if it
// could not): subscribed, flushed, and its base read (lastSeen starts
// there): the group's last stored message then, L0, or an earlier point if
// the node's first member joined less than a moment before (store_feed.go,
// begin), so base <= L0 — all before the latest, H >= L0 >= base, is read
// here. Every message of the group after base reaches this node's sink, in
// order, after the join: a republished one
// directly; one whose republication this node missed (in a NATS cluster the
// subscription reaches the other servers over routes after the flush, so
// the stream leader's server may not know of it yet; or a slow-consumer
// drop, a leader change) through the chain: the group's next republished
// message names it in Nats-Last-Sequence, which is then past lastSeen, and
// the feed reads it from the stream and delivers it first (and the probe
// a moment after the follow began finds a last one with nothing after
// it). So the shard's buffer plus this answer cover every position: <= H
// here, > H live (those <= H delivered live too are dropped by the shard,
// which dedups by position). Only what the history limits dropped before
// the feed could read it back is lost, and reported (ErrFeedGap).
//
// A recovery from a position that has messages to read returns them not
// here but as a recovery (hist and err then unset): its scan is the
// coalescer's (store_coalesce.go), which may read it with other groups'
// of the same stream.
func (s *groupStore) read(ctx context.Context, h *history, group string, recover bool, since actor.Position, n, limit int) (actor.History, *recovery, error) {
	hist := actor.History{Group: group}
	if limit <= 0 || limit > actor.MaxMaxReplay {
		limit = h.settings.MaxReplay
	}
	last := recover && since.IsZero() // the last n held (JoinOptions.Last), or the last limit
	switch {
	case last && (n <= 0 || n > limit):
		n = limit
	case !recover && (n < 1 || n > limit):
		return hist, nil, fmt.Errorf("%w: %d publications asked for, at most %d", actor.ErrHistoryTooLarge, n, limit)
	}
	subj := h.subject(group)
	var opts []jetstream.StreamInfoOpt
	if !recover || last {
		opts = append(opts, jetstream.WithSubjectFilter(subj))
	}
	info, err := h.stream.Info(ctx, opts...)
	if err != nil {
		return hist, nil, storeErr("stream info", err)
	}
	epoch := uint64(info.Created.UnixNano())
	hist.Latest = actor.Position{Epoch: epoch} // with the seq of the latest held, if any
	// The latest and the oldest are the leader's (store_direct.go): the
	// seam argument above needs the latest no older than begin's base.
	nc := s.js.Conn()
	latest, err := h.leaderLast(ctx, nc, subj)
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return hist, nil, storeErr("the group's latest publication", err)
	}
	var oldest *jetstream.RawStreamMsg
	if latest != nil {
		hist.Latest = actor.Position{Epoch: epoch, Seq: latest.Sequence}
		oldest, err = h.leaderMsg(ctx, nc, max(info.State.FirstSeq, 1), subj)
		if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return hist, nil, storeErr("the group's oldest publication", err)
		}
		if oldest != nil {
			hist.Oldest = actor.Position{Epoch: epoch, Seq: oldest.Sequence}
		} else { // dropped meanwhile: the latest is what there is
			hist.Oldest = hist.Latest
		}
	}
	if latest == nil {
		return hist, nil, s.emptyCheck(recover && !last, since, epoch, info.State.LastSeq)
	}
	if !recover || last {
		count := int(info.State.Subjects[subj])
		pubs, err := s.lastN(ctx, h, epoch, subj, count, n, hist.Oldest.Seq, latest.Sequence)
		hist.Publications = pubs
		return hist, nil, err
	}
	switch {
	case since.Epoch != 0 && since.Epoch != epoch:
		return hist, nil, fmt.Errorf("%w: %v, the group's history is of epoch %d", actor.ErrOtherEpoch, since, epoch)
	case since.Seq > info.State.LastSeq && since.Seq > latest.Sequence:
		return hist, nil, fmt.Errorf("%w: %v, the latest is %v", actor.ErrFuturePosition, since, hist.Latest)
	case since.Seq != 0 && hist.Oldest.Seq > since.Seq+1:
		// The group's oldest stored message is past since: since was
		// dropped by the limits, and so may have been later ones (which
		// cannot be told: conservative).
		return hist, nil, fmt.Errorf("%w: %v, the oldest kept is %v", actor.ErrHistoryLost, since, hist.Oldest)
	case since.Seq >= latest.Sequence:
		return hist, nil, nil
	}
	return actor.History{}, &recovery{hist: hist, subj: subj, epoch: epoch, since: since, start: since.Seq + 1, upTo: latest.Sequence, limit: limit}, nil
}

// emptyCheck is the answer of a read of a group with no stored message.
func (s *groupStore) emptyCheck(recover bool, since actor.Position, epoch, lastSeq uint64) error {
	switch {
	case !recover || since.Seq == 0 && (since.Epoch == 0 || since.Epoch == epoch):
		return nil
	case since.Epoch != 0 && since.Epoch != epoch:
		return fmt.Errorf("%w: %v, the group's history is of epoch %d", actor.ErrOtherEpoch, since, epoch)
	case since.Seq > lastSeq:
		return fmt.Errorf("%w: %v, the group has no publication kept", actor.ErrFuturePosition, since)
	case since.Seq == lastSeq: // nothing stored after it, in any group
		return nil
	}
	return fmt.Errorf("%w: %v, the group has no publication kept", actor.ErrHistoryLost, since)
}

// lastN returns the last n messages of subj up to seq upTo, a message of
// it. oldest (its oldest, the leader's, read after upTo) and count (how
// many it holds, the stream's info, read before) are hints: the limits may
// have dropped some since, and more may have been stored.
//
// Direct gets read forwards only, so the last n are read backwards, in
// windows of sequences ending at upTo: the first as wide as n of count
// messages spread evenly from oldest to upTo would need (a quarter more),
// each next one as wide as all before it, until n are read or oldest is
// passed. A window's must (see scan) is the group's first message already
// read after it (upTo for the first window): a replica behind the leader
// cannot end one short.
func (s *groupStore) lastN(ctx context.Context, h *history, epoch uint64, subj string, count, n int, oldest, upTo uint64) ([]actor.Publication, error) {
	if n <= 0 {
		return nil, nil
	}
	oldest = min(max(oldest, 1), upTo)
	span := upTo - oldest + 1
	width := span
	if count > n {
		width = min(max(uint64(float64(span)/float64(count)*float64(n)*1.25), uint64(n)), span)
	}
	var (
		parts    [][]actor.Publication // newest first
		have     int
		hi, must = upTo, upTo
		err      error
	)
	for {
		lo := oldest
		if hi-oldest >= width {
			lo = hi - width + 1
		}
		var part []actor.Publication
		part, err = s.fetch(ctx, h, epoch, subj, lo, hi, must, n-have, true)
		if len(part) > 0 {
			parts = append(parts, part)
			have += len(part)
			must = part[0].Position.Seq
		}
		if err != nil || have >= n || lo == oldest {
			break
		}
		width = upTo - lo + 1
		hi = lo - 1
	}
	pubs := make([]actor.Publication, 0, have)
	for i := len(parts) - 1; i >= 0; i-- {
		pubs = append(pubs, parts[i]...)
	}
	return pubs, err
}

// fetch returns the messages of subj from seq start to seq upTo: the
// first limit of them, or with tail the last limit. must: see scan.
func (s *groupStore) fetch(ctx context.Context, h *history, epoch uint64, subj string, start, upTo, must uint64, limit int, tail bool) ([]actor.Publication, error) {
	var (
		out []actor.Publication
		env actor.Envelope
	)
	if limit <= 0 {
		return nil, nil
	}
	err := s.scan(ctx, h, subj, start, upTo, must, func(m *storedMsg) bool {
		p, err := decodePublication(subjGroup(h, m.subject), epoch, m.seq, m.data, &env, s.n)
		if err != nil {
			s.n.malformed.Add(1)
			s.n.report(logMalformed, fmt.Errorf("cluster: node %d: %w", s.n.node, err))
			return true
		}
		if tail && len(out) == limit {
			out = out[1:] // (append copies the rest to a new array when it is full)
		}
		out = append(out, p)
		return tail || len(out) < limit
	})
	return out, err
}

// subjGroup is the group of a subject of h ("" if it is none).
func subjGroup(h *history, subject string) string {
	g, _ := h.group(subject)
	return g
}
