package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/shoalrt/shoal/actor"
)

// Coalesced recoveries. A history stream holds every group of its pattern,
// their messages interleaved, and a scan of one group's subject (scan's
// next_by_subj) makes the server walk every message of the stream in the
// group's range to find the group's: 1 000 groups recovering at once after
// a node's death, each 100 messages behind in a stream they all write to,
// walk 1 000 times the same 100 000 messages. So a recovery from a
// position (Read with recover and a since; not a Last-n read, not a
// History request) does its head on a worker as before (read: the live
// feed begun, the stream's info, the group's latest and oldest from the
// leader, the epoch, future-position and history-lost checks), and leaves
// its scan, from since+1 to its latest, to the coalescer: a job of its
// own on the same workers. The job that runs first takes its recovery and,
// if the cost rule below says so, every other recovery of the same stream
// (and epoch) waiting then, and reads them all with ONE scan of the
// stream's wildcard subject from the lowest since+1 to the highest latest,
// handing each recovery its own group's messages in its own range; the
// jobs of the recoveries it took find them taken and do nothing.
//
// The cost rule. A per-group scan costs the server a walk of the stream's
// messages in the group's range (span: latest-since sequences) and sends
// the group's own; the coalesced one walks the hull of the ranges once
// but sends every message in it, other groups' too, which costs the
// server and this node (encoding, decoding, a reply each) several times a
// walk. So recoveries are coalesced when coalesceCost x hull <= the sum of
// their spans: with all groups equally far behind in the same range, that
// is 4 or more recoveries; 1 000 groups 100 behind: hull 100 000, sum
// 100 000 000. Recoveries far apart (a hull mostly of messages none of
// them needs) stay on the per-group path, and so does a recovery alone.
// A recovery joins a batch only if the rule holds for it alone too
// (coalesceCost x what it adds to the hull <= its span), so that one far
// from the others does not make the whole batch fail the rule. The hull is
// bounded (maxCoalesceSpan) so that one scan stays well within the job's
// StoreTimeout, and a batch takes at most maxCoalesce.
//
// Every rule of the per-group read holds for each recovery taken: its
// head (seam, latest, checks) is read's, unchanged; the coalesced scan's
// must is the highest latest, so a replica behind the leader cannot end it
// short of any group's latest (store_direct.go); a group it still left
// short (the highest latest was dropped meanwhile, and the scan ended
// there) reads the rest on its own, must its own latest; limit+1 messages
// end a group's part, and ErrTooFarBehind follows as before. The limits
// may drop a group's next messages between its head and the scan, a wait
// longer than the per-group read's; the coalesced scan sees every
// sequence it walks, so a group whose range before its first message
// holds a missing sequence (a hole: deleted, or dropped by the limits) has
// its oldest read again from the leader after the scan, and is lost
// (ErrHistoryLost) if that is past since+1 (conservative, as read's check).
//
// Each recovery is answered exactly once: by the job that took it (s.mu:
// taken), or, if the store stops before any did, by its own job's fail.
// Waiting: a recovery's scan job joins the end of the workers' queue when
// its head ends, behind the requests queued then (in a mass reconnect, the
// other recoveries' heads: a few leader gets each), where before its scan
// followed its head at once; its own job takes it at the latest, and a
// batch that takes it earlier answers it when the batch's scan ends. A
// recovery alone waits as before.

// Bounds of coalesced recoveries.
const (
	// coalesceCost is what sending a message costs against walking one
	// (the cost rule above).
	coalesceCost = 4
	// maxCoalesce is the most recoveries one scan serves.
	maxCoalesce = 1000
	// maxCoalesceSpan bounds the hull of a coalesced scan, in sequences:
	// 100 000 took 1.3 s on a busy 2-core machine (the server in the same
	// process), and the whole batch has one StoreTimeout (10 s).
	maxCoalesceSpan = 1 << 17
)

// recovery is a recovery from a position waiting for its scan: what read
// found (its head) and, while a coalesced scan runs, what the scan gave it.
type recovery struct {
	hist  actor.History // read's: Group, Latest, Oldest
	subj  string        // the group's subject
	epoch uint64
	since actor.Position
	start uint64 // since+1: the first sequence wanted
	upTo  uint64 // the group's latest, the leader's
	limit int    // at most this many, else ErrTooFarBehind
	reply func(actor.History, error)

	taken bool // under s.mu: a job serves it (or its fail answered it)

	// The coalesced scan's (the job that took it).
	pubs  []actor.Publication
	next  uint64 // the next sequence wanted
	first uint64 // the sequence of its first message (0: none yet)
	hole  bool   // a sequence in [start, first) is missing from the stream
	done  bool   // its latest reached, or limit+1 messages
}

// span is how many sequences a scan of r alone walks.
func (r *recovery) span() uint64 { return r.upTo - r.start + 1 }

// recoverLater leaves r's scan to the coalescer: r waits among h's
// recoveries, and a job of its own takes it unless another took it first.
// A worker (read's job).
func (s *groupStore) recoverLater(h *history, r *recovery) {
	s.mu.Lock()
	s.recs[h] = append(s.recs[h], r)
	s.mu.Unlock()
	s.submit(&s.work, s.scanJob(h, r))
}

// scanJob is the job of r's scan (recoverLater).
func (s *groupStore) scanJob(h *history, r *recovery) job {
	return job{
		run: func(ctx context.Context) {
			if batch := s.takeRecoveries(h, r); len(batch) == 1 {
				pubs, err := s.fetch(ctx, h, r.epoch, r.subj, r.start, r.upTo, r.upTo, r.limit+1, false)
				// The limits may have dropped since+1 while the scan
				// waited its turn: a first message past it is checked
				// as the coalesced path checks a hole.
				if err == nil && (len(pubs) == 0 || pubs[0].Position.Seq > r.start) && s.lost(ctx, h, r) {
					return
				}
				s.answer(r, pubs, err)
			} else if len(batch) > 1 {
				s.recoverTogether(ctx, h, batch)
			}
		},
		fail: func(err error) {
			if s.untake(h, r) {
				r.reply(r.hist, err)
			}
		},
	}
}

// takeRecoveries returns the recoveries r's job serves: none if another
// took r, r alone, or r and others of h waiting, the cost rule permitting.
// They are taken.
func (s *groupStore) takeRecoveries(h *history, r *recovery) []*recovery {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.taken {
		return nil
	}
	batch := []*recovery{r}
	lo, hi, sum := r.start, r.upTo, r.span()
	for _, o := range s.recs[h] {
		if len(batch) == maxCoalesce {
			break
		}
		if o == r || o.epoch != r.epoch {
			continue
		}
		l, u := min(lo, o.start), max(hi, o.upTo)
		if u-l+1 > maxCoalesceSpan || coalesceCost*((u-l)-(hi-lo)) > o.span() {
			continue // left for its own job: far from the others
		}
		batch = append(batch, o)
		lo, hi, sum = l, u, sum+o.span()
	}
	if coalesceCost*(hi-lo+1) > sum {
		batch = batch[:1]
	}
	for _, o := range batch {
		o.taken = true
	}
	left := s.recs[h][:0]
	for _, o := range s.recs[h] {
		if !o.taken {
			left = append(left, o)
		}
	}
	clear(s.recs[h][len(left):])
	s.recs[h] = left
	return batch
}

// untake takes r for its fail, and reports whether no job had.
func (s *groupStore) untake(h *history, r *recovery) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.taken {
		return false
	}
	r.taken = true
	for i, o := range s.recs[h] {
		if o == r {
			s.recs[h] = append(s.recs[h][:i], s.recs[h][i+1:]...)
			break
		}
	}
	return true
}

// answer answers r with pubs, its messages from since+1 on (at most
// limit+1), or err: as read did.
func (s *groupStore) answer(r *recovery, pubs []actor.Publication, err error) {
	hist := r.hist
	switch {
	case err != nil:
	case len(pubs) > r.limit:
		err = fmt.Errorf("%w: more than %d publications after %v (the oldest kept is %v)", actor.ErrTooFarBehind, r.limit, r.since, hist.Oldest)
	default:
		hist.Publications = pubs
	}
	r.reply(hist, err)
}

// recoverTogether serves batch, recoveries of h in one epoch, with one
// scan of the stream (see the top of this file), and answers each.
func (s *groupStore) recoverTogether(ctx context.Context, h *history, batch []*recovery) {
	bySubj := make(map[string][]*recovery, len(batch))
	lo, hi := batch[0].start, batch[0].upTo
	for _, r := range batch {
		r.next = r.start
		bySubj[r.subj] = append(bySubj[r.subj], r)
		lo, hi = min(lo, r.start), max(hi, r.upTo)
	}
	var (
		env     actor.Envelope
		left    = len(batch)
		expect  = lo    // the next sequence, if none is missing
		holeMax uint64  // the highest missing sequence seen so far
		holes   = false // one was seen
	)
	// Every subject of the stream: ">" rather than h.subjects+">" (the
	// stream's only subject, the same messages), which the server serves
	// without matching each message's subject against the filter, and
	// counts the messages pending of a batch in O(1) rather than per
	// subject (fileStore.NumPending: 3 ms a batch with 1 000 subjects).
	err := s.scan(ctx, h, ">", lo, hi, hi, func(m *storedMsg) bool {
		if m.seq > expect {
			holes, holeMax = true, m.seq-1
		}
		expect = m.seq + 1
		var (
			p            actor.Publication
			decoded, bad bool
		)
		for _, r := range bySubj[m.subject] {
			if r.done || m.seq < r.next || m.seq > r.upTo {
				continue
			}
			if r.first == 0 {
				r.first, r.hole = m.seq, holes && holeMax >= r.start
			}
			r.next = m.seq + 1
			if !decoded {
				var err error
				if p, err = decodePublication(r.hist.Group, r.epoch, m.seq, m.data, &env, s.n); err != nil {
					s.n.malformed.Add(1)
					s.n.report(logMalformed, fmt.Errorf("cluster: node %d: %w", s.n.node, err))
					bad = true // skipped, for every recovery of the group
				}
				decoded = true
			}
			if !bad {
				r.pubs = append(r.pubs, p)
			}
			if m.seq == r.upTo || len(r.pubs) > r.limit {
				r.done = true
				left--
			}
		}
		return left > 0
	})
	s.coalesced.Add(int64(len(batch)))
	var check []*recovery // those with something missing before their first message
	for _, r := range batch {
		if err != nil {
			r.reply(r.hist, err)
			continue
		}
		if r.first == 0 {
			r.hole = holes && holeMax >= r.start
		}
		if !r.done {
			// The scan ended short of r's latest (the highest latest,
			// its must, is gone): the rest on r's own path.
			r.hole = true
			rest, err := s.fetch(ctx, h, r.epoch, r.subj, r.next, r.upTo, r.upTo, r.limit+1-len(r.pubs), false)
			if err != nil {
				r.reply(r.hist, err)
				continue
			}
			r.pubs = append(r.pubs, rest...)
		}
		if r.hole {
			check = append(check, r)
			continue
		}
		s.answer(r, r.pubs, nil)
	}
	// A stream whose groups drop their oldest (History) has holes
	// everywhere, so most of a batch may need its oldest read again: a
	// round trip to the leader each, done lostParallel at a time rather
	// than one after another within the batch's one StoreTimeout.
	var wg sync.WaitGroup
	next := make(chan *recovery)
	for range min(lostParallel, len(check)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				if !s.lost(ctx, h, r) {
					s.answer(r, r.pubs, nil)
				}
			}
		}()
	}
	for _, r := range check {
		next <- r
	}
	close(next)
	wg.Wait()
}

// lostParallel is how many of a coalesced batch's re-reads of a group's
// oldest message are in flight at once.
const lostParallel = 16

// lost reads r's group's oldest message again from the leader, when
// something is missing before r's first message (maybe r's, dropped by the
// limits after its head was read), and if since+1 is gone (or the read
// fails) answers r and reports true.
func (s *groupStore) lost(ctx context.Context, h *history, r *recovery) bool {
	if r.since.Seq == 0 {
		return false
	}
	oldest, err := h.leaderMsg(ctx, s.js.Conn(), 1, r.subj)
	switch {
	case err == nil && oldest.Sequence <= r.start:
		return false
	case err == nil || errors.Is(err, jetstream.ErrMsgNotFound):
		hist := r.hist
		if err == nil {
			hist.Oldest = actor.Position{Epoch: r.epoch, Seq: oldest.Sequence}
		}
		r.reply(hist, fmt.Errorf("%w: %v, the oldest kept is %v", actor.ErrHistoryLost, r.since, hist.Oldest))
	default:
		r.reply(r.hist, storeErr("the group's oldest publication", err))
	}
	return true
}
