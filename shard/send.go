package shard

// Send delivers msg to the actor at address to, from the actor at from, on
// the shard goroutine. A target on this shard goes to the local queue and is
// delivered later in this turn; a target on another shard goes into that
// shard's inbox ring. Send never waits for another shard: when the target's
// inbox is full the envelope is kept in a bounded per-target retry queue and
// retried next turn (keeping the order of sends to that shard); past the
// bound it is dropped, counted as a dead letter, and Send returns
// ErrInboxFull.
// Shard goroutine only.
func (s *Shard) Send(to, from uint64, msg any) error {
	i, err := s.set.shardOf(to)
	if err != nil {
		return err
	}
	if i == s.index {
		s.local.Push(envelope{kind: kindMessage, to: to, from: from, msg: msg})
		return nil
	}
	if q := &s.outbox[i]; q.Len() < s.quickLen { // the common case, kept short
		s.outboxN++
		*q.Add() = envelope{kind: kindMessage, to: to, from: from, msg: msg} // in place
		return nil
	}
	p := s.outboxSlot(i)
	if p == nil {
		return s.dropInboxFull(kindMessage, to, from, msg)
	}
	p.kind, p.to, p.from, p.msg = kindMessage, to, from, msg // in place: no envelope copied
	s.outboxed(i)
	return nil
}

// outboxBatch is how many envelopes for one shard a shard gathers before it
// publishes them without waiting for the end of its turn.
const outboxBatch = 256

// post routes an envelope to shard i: the local queue for this shard, else
// the outbox for shard i, published into that shard's inbox in batches (one
// reservation, one commit, at most one wake-up per batch) when it holds
// outboxBatch envelopes and at the end of every turn. While the target's
// inbox is full the outbox keeps what it holds, up to MaxRetry envelopes.
func (s *Shard) post(i int, e *envelope) error {
	if i == s.index {
		s.local.Push(*e)
		return nil
	}
	p := s.outboxSlot(i)
	if p == nil {
		return s.dropInboxFull(e.kind, e.to, e.from, e.msg)
	}
	*p = *e
	s.outboxed(i)
	return nil
}

// outboxSlot returns a new slot at the end of the outbox for shard i, for
// the caller to fill and then report with outboxed; nil if the outbox is at
// its bound (MaxRetry) even after publishing what the inbox takes.
func (s *Shard) outboxSlot(i int) *envelope {
	q := &s.outbox[i]
	if q.Len() >= s.set.cfg.MaxRetry {
		s.publishOutbox(i)
		if q.Len() >= s.set.cfg.MaxRetry {
			return nil
		}
	}
	s.outboxN++
	return q.Add()
}

// outboxed publishes the outbox for shard i once a filled slot made it a
// full batch.
func (s *Shard) outboxed(i int) {
	if s.outbox[i].Len() >= outboxBatch {
		s.publishOutbox(i)
	}
}

// dropInboxFull drops a send the outbox could not keep, its target's inbox
// being full: counted, handed to the handler as a dead letter if it is a
// message, and reported as ErrInboxFull.
func (s *Shard) dropInboxFull(kind envKind, to, from uint64, msg any) error {
	s.stats.inboxFull.Add(1)
	s.stats.deadLetters.Add(1)
	if kind == kindMessage {
		s.h.DeadLetter(to, from, msg)
	}
	return ErrInboxFull
}

// publishOutbox moves shard i's outbox into its inbox while there is room.
func (s *Shard) publishOutbox(i int) {
	q := &s.outbox[i]
	t := s.set.shards[i].inbox
	for q.Len() > 0 {
		n := t.TryPutQueue(q, outboxBatch)
		if n == 0 {
			return
		}
		s.outboxN -= n
	}
}

// publishOutboxes publishes every outbox.
func (s *Shard) publishOutboxes() {
	for i := range s.outbox {
		if s.outbox[i].Len() > 0 {
			s.publishOutbox(i)
		}
	}
}
