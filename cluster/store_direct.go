package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Reading a history stream. A group's messages are read with batched
// direct gets ($JS.API.DIRECT.GET.<stream>, {"seq", "next_by_subj",
// "batch"}: the stream has AllowDirect), which any replica answers from its
// own store, in one request-reply of up to directBatch messages plus an
// end-of-batch status (204 EOB, with Nats-Num-Pending, the messages of the
// subject after the last one sent). An ephemeral consumer per read, as
// before, cost a consumer creation and deletion through the meta leader of
// a NATS cluster for each recovery.
//
// What the seam (read, begin, the chain of the live feed) needs to be the
// leader's, a replica behind it will not do: begin's base, read's latest,
// a probe's last message, the duplicate check of a PubAck and whether a
// message is gone. Those are leader gets ($JS.API.STREAM.MSG.GET.<stream>,
// which only the leader answers). nats.go's Stream.GetMsg and
// GetLastMsgForSubject cannot be used for them: they switch to direct gets
// by themselves once the stream's cached config has AllowDirect.

// Bounds of history reads.
const (
	// directBatch is the most messages one direct get asks for. The
	// replica holds the stream's read lock while it sends them, which its
	// writes wait for: a batch is kept short.
	directBatch = 256
	// directMaxBytes bounds one direct get's messages (the server sends
	// at least one, and stops after the one that passes it).
	directMaxBytes = 1 << 20
	// batchTimeout bounds the wait for one batch's replies (a reply lost
	// with a server that failed is tried again).
	batchTimeout = 5 * time.Second
	// lagPatience is how long a scan asks the replicas again for messages
	// one of them lags behind, before it reads them one by one from the
	// leader.
	lagPatience = 200 * time.Millisecond
	// lagPoll is how often it asks again meanwhile.
	lagPoll = 20 * time.Millisecond
)

// Headers of a direct get's replies nats.go does not name.
const (
	statusHeader     = "Status"      // a status reply's code (nats.go's parse of "NATS/1.0 204 EOB")
	descrHeader      = "Description" // and its text
	numPendingHeader = "Nats-Num-Pending"
)

// apiPrefix is the JetStream API prefix of the store's requests: its
// JetStream context is made without a domain or prefix (store.go).
const apiPrefix = jetstream.DefaultAPIPrefix

// storedMsg is one stored message of a history stream.
type storedMsg struct {
	seq     uint64
	subject string
	at      time.Time // when it was stored
	data    []byte
}

// batchReply is the answer to one read of a group's messages from a
// sequence on.
type batchReply struct {
	msgs []storedMsg // in order of sequence
	more bool        // the replica holds messages of the group after the last one
}

// getFunc reads a group's messages from seq from on, up to about upTo (a
// bound on how many to ask for, not a filter).
type getFunc func(ctx context.Context, from, upTo uint64) (batchReply, error)

// scan calls fn with the messages of subj from seq start to seq upTo, in
// order, until fn returns false: batched direct gets, each from the
// sequence after the last message the previous one gave (a batch may stop
// short: directBatch, directMaxBytes), until upTo is reached or the replica
// answering has nothing more.
//
// must, if not 0, is a message of subj the caller knows the stream's
// leader stored (the group's latest, the previous one a republished
// message names, or one past upTo): the scan does not end before it has
// every message up to min(must, upTo) (or fn stopped it), unless must is
// gone from the stream (a leader get says so). That is not a detail: any
// replica answers a direct get, and a follower may not have stored the
// leader's last messages yet, so it has nothing more to give while they
// exist: without must, the scan would end short of them, and a recovery or
// a repair would skip them without a word. Short of must, the scan asks
// again (the next request may reach another replica, or the same one
// caught up), and after lagPatience reads what is left one message at a
// time from the leader.
func (s *groupStore) scan(ctx context.Context, h *history, subj string, start, upTo, must uint64, fn func(m *storedMsg) bool) error {
	if upTo < start {
		return nil
	}
	nc := s.js.Conn()
	// The replies of the scan's direct gets. A channel of its own, small:
	// SubscribeSync would make one of SubChanLen (64k messages, 512 KiB)
	// per scan. A batch's replies are at most directBatch messages and its
	// EOB, and the scan takes them all before its next request; room for
	// two batches leaves some for the late replies of one that timed out.
	inbox := nc.NewInbox()
	replies := make(chan *nats.Msg, 2*(directBatch+1))
	sub, err := nc.ChanSubscribe(inbox+".*", replies)
	if err != nil {
		return storeErr("reading history", err)
	}
	defer sub.Unsubscribe()
	r := &scanner{
		direct: h.directGets(nc, replies, inbox, subj),
		leader: func(ctx context.Context, from, _ uint64) (batchReply, error) {
			m, err := h.leaderGet(ctx, nc, &msgGetRequest{Seq: from, NextFor: subj})
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				return batchReply{}, nil
			}
			if err != nil {
				return batchReply{}, err
			}
			return batchReply{msgs: []storedMsg{{seq: m.Sequence, subject: m.Subject, at: m.Time, data: m.Data}}, more: true}, nil
		},
		gone: func(ctx context.Context, seq uint64) (bool, error) {
			_, err := h.leaderGet(ctx, nc, &msgGetRequest{Seq: seq})
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				return true, nil
			}
			return false, err
		},
		transient: func(err error) bool { return errors.Is(err, errBatchGap) || transient(err, nc) },
	}
	return r.scan(ctx, start, upTo, must, fn)
}

// scanner is scan's loop, apart from NATS (store_direct_test.go gives it
// replicas of its own).
type scanner struct {
	direct    getFunc                                             // any replica
	leader    getFunc                                             // the leader, one message at a time
	gone      func(ctx context.Context, seq uint64) (bool, error) // the leader holds seq no more
	transient func(error) bool
}

// scan is groupStore.scan with r's gets.
func (r *scanner) scan(ctx context.Context, start, upTo, must uint64, fn func(m *storedMsg) bool) error {
	get := r.direct
	from := start // the next sequence wanted
	var (
		failures int       // transient failures in a row
		short    time.Time // since when the replicas have had nothing more, short of must
	)
	for {
		b, err := get(ctx, from, upTo)
		if err != nil {
			// A NATS cluster still forming, or electing a leader, answers
			// no one for a moment (up to about 5 s): try again within ctx.
			failures++
			if failures == 20 || !r.transient(err) || ctx.Err() != nil {
				return storeErr("reading history", err)
			}
			if err := sleep(ctx, time.Duration(min(failures, 5))*50*time.Millisecond); err != nil {
				return storeErr("reading history", err)
			}
			continue
		}
		failures = 0
		for i := range b.msgs {
			m := &b.msgs[i]
			if m.seq < from {
				continue // (a replica never sends one: defensive)
			}
			if m.seq > upTo {
				return nil
			}
			if !fn(m) || m.seq == upTo {
				return nil
			}
			from = m.seq + 1
		}
		if len(b.msgs) > 0 && b.more {
			continue // the batch stopped short
		}
		// The replica has nothing more after from.
		if must == 0 || from > must {
			return nil
		}
		// Short of must: the replica lags the leader, or must is gone
		// (the limits dropped it meanwhile).
		if gone, err := r.gone(ctx, must); gone {
			return nil
		} else if err != nil && !r.transient(err) {
			return storeErr("reading history", err)
		}
		if short.IsZero() {
			short = time.Now()
		} else if time.Since(short) >= lagPatience {
			get = r.leader // a replica that stays behind: read the rest from the leader
		}
		if err := sleep(ctx, lagPoll); err != nil {
			return storeErr("reading history (a replica behind its leader)", err)
		}
	}
}

// sleep waits d, or until ctx ends (its error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// directGets returns the getFunc of batched direct gets of subj, their
// replies on replies (subscribed to inbox.*, one token per request, so a
// late reply to a request that timed out is told apart). One goroutine at
// a time.
func (h *history) directGets(nc *nats.Conn, replies <-chan *nats.Msg, inbox, subj string) getFunc {
	subject := apiPrefix + "DIRECT.GET." + h.name
	n := 0
	return func(ctx context.Context, from, upTo uint64) (batchReply, error) {
		n++
		reply := inbox + "." + strconv.Itoa(n)
		// No more than upTo-from+1: that many sequences hold no more of
		// the group's messages.
		batch := min(upTo-from+1, directBatch)
		req, err := json.Marshal(msgGetRequest{Seq: from, NextFor: subj, Batch: int(batch), MaxBytes: directMaxBytes})
		if err != nil {
			return batchReply{}, err
		}
		ctx, cancel := context.WithTimeout(ctx, batchTimeout)
		defer cancel()
		if err := nc.PublishRequest(subject, reply, req); err != nil {
			return batchReply{}, err
		}
		var (
			b    batchReply
			prev uint64 // the sequence of the batch's last message so far
		)
		// Each reply of a batch, and its EOB, names the message sent
		// before it (Nats-Last-Sequence, 0 for the first): one that
		// does not follow on the last one taken shows a reply lost on
		// the way (the reply channel full), and the batch is read again.
		// (A server that does not send it is taken at its word.)
		follows := func(m *nats.Msg) bool {
			v := m.Header.Get(jetstream.LastSequenceHeader)
			last, err := strconv.ParseUint(v, 10, 64)
			return v == "" || err == nil && last == prev
		}
		for {
			var m *nats.Msg
			select {
			case <-ctx.Done():
				return batchReply{}, ctx.Err()
			case m = <-replies:
			}
			if m.Subject != reply {
				continue // a reply to an earlier request
			}
			if status := m.Header.Get(statusHeader); status != "" && len(m.Data) == 0 {
				switch status {
				case "204": // end of batch
					if !follows(m) {
						return batchReply{}, errBatchGap
					}
					pending, _ := strconv.ParseUint(m.Header.Get(numPendingHeader), 10, 64)
					b.more = pending > 0
					return b, nil
				case "404": // none from there on
					return b, nil
				case "503":
					return batchReply{}, nats.ErrNoResponders
				}
				return batchReply{}, fmt.Errorf("direct get of %s: %s %s", h.name, status, m.Header.Get(descrHeader))
			}
			if !follows(m) {
				return batchReply{}, errBatchGap
			}
			sm, err := directMsg(m)
			if err != nil {
				return batchReply{}, err
			}
			prev = sm.seq
			b.msgs = append(b.msgs, sm)
		}
	}
}

// errBatchGap is a direct get's batch that lost a reply (its scan tries
// again from where the batch began).
var errBatchGap = errors.New("a direct get's batch lost a reply")

// directMsg decodes a message of a direct get's reply.
func directMsg(m *nats.Msg) (storedMsg, error) {
	seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
	if err != nil {
		return storedMsg{}, malformed("direct get reply without a valid sequence (%q)", m.Header.Get(jetstream.SequenceHeader))
	}
	at, err := time.Parse(time.RFC3339Nano, m.Header.Get(jetstream.TimeStampHeaer))
	if err != nil {
		return storedMsg{}, malformed("direct get reply of seq %d without a valid time (%q)", seq, m.Header.Get(jetstream.TimeStampHeaer))
	}
	return storedMsg{seq: seq, subject: m.Header.Get(jetstream.SubjectHeader), at: at, data: m.Data}, nil
}

// msgGetRequest is the JSON of a message get, direct or the leader's
// (JSApiMsgGetRequest in nats-server).
type msgGetRequest struct {
	Seq      uint64 `json:"seq,omitempty"`
	LastFor  string `json:"last_by_subj,omitempty"`
	NextFor  string `json:"next_by_subj,omitempty"`
	Batch    int    `json:"batch,omitempty"`
	MaxBytes int    `json:"max_bytes,omitempty"`
	// StartTime, with NextFor: the first message of the subject stored at
	// or after it.
	StartTime *time.Time `json:"start_time,omitempty"`
}

// msgGetResponse is the JSON of the leader's answer to a message get.
type msgGetResponse struct {
	Error   *jetstream.APIError `json:"error,omitempty"`
	Message *struct {
		Subject  string    `json:"subject"`
		Sequence uint64    `json:"seq"`
		Header   []byte    `json:"hdrs,omitempty"`
		Data     []byte    `json:"data,omitempty"`
		Time     time.Time `json:"time"`
	} `json:"message,omitempty"`
}

// leaderGet is a message get the stream's leader answers (never a
// replica's direct get, see the top of this file): jetstream.ErrMsgNotFound
// if there is no such message.
func (h *history) leaderGet(ctx context.Context, nc *nats.Conn, req *msgGetRequest) (*jetstream.RawStreamMsg, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	// Each get within batchTimeout, whatever is left of the caller's time:
	// a reply lost with a leader that died fails this get alone (the
	// caller tries again, maybe of the new leader), not all the caller's
	// time.
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	m, err := nc.RequestWithContext(ctx, apiPrefix+"STREAM.MSG.GET."+h.name, body)
	if err != nil {
		return nil, err
	}
	var resp msgGetResponse
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return nil, fmt.Errorf("message get of %s: %w", h.name, err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return nil, jetstream.ErrMsgNotFound
	case resp.Error != nil:
		return nil, resp.Error
	case resp.Message == nil:
		return nil, jetstream.ErrInvalidJetStreamResponse
	}
	sm := resp.Message
	var hdr nats.Header
	if len(sm.Header) > 0 {
		if hdr, err = nats.DecodeHeadersMsg(sm.Header); err != nil {
			return nil, fmt.Errorf("message get of %s: %w", h.name, err)
		}
	}
	return &jetstream.RawStreamMsg{Subject: sm.Subject, Sequence: sm.Sequence, Header: hdr, Data: sm.Data, Time: sm.Time}, nil
}

// leaderMsg is the leader's message at seq (of subj from seq on, if subj
// is not "").
func (h *history) leaderMsg(ctx context.Context, nc *nats.Conn, seq uint64, subj string) (*jetstream.RawStreamMsg, error) {
	return h.leaderGet(ctx, nc, &msgGetRequest{Seq: seq, NextFor: subj})
}

// leaderLast is the leader's last message of subj.
func (h *history) leaderLast(ctx context.Context, nc *nats.Conn, subj string) (*jetstream.RawStreamMsg, error) {
	return h.leaderGet(ctx, nc, &msgGetRequest{LastFor: subj})
}
