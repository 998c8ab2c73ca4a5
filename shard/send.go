package shard

// Send delivers msg to the actor at address to, from the actor at from, on
// the shard goroutine. A target on this shard goes to the local queue and is
// delivered later in this turn; a target on another shard goes into that
// shard's inbox ring. Send never waits for another shard: when the target's
// inbox is full the envelope is kept in a bounded per-target retry queue and
// retried next turn (keeping the order of sends to that shard); past the
// bound it is dropped, counted as a dead letter, and Send returns ErrOverflow.
// Shard goroutine only.
func (s *Shard) Send(to, from uint64, msg any) error {
	i, err := s.group.shardOf(to)
	if err != nil {
		return err
	}
	if i != s.index && s.outbox[i].Len() < s.group.cfg.MaxRetry-1 {
		// the common case, written in place: no envelope copied
		q := &s.outbox[i]
		p := q.Add()
		p.kind, p.to, p.from, p.msg = kindMessage, to, from, msg
		s.outboxN++
		if q.Len() >= outboxBatch {
			s.publishOutbox(i)
		}
		return nil
	}
	e := envelope{kind: kindMessage, to: to, from: from, msg: msg}
	return s.post(i, &e)
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
	q := &s.outbox[i]
	if q.Len() >= s.group.cfg.MaxRetry {
		s.publishOutbox(i)
	}
	if q.Len() >= s.group.cfg.MaxRetry {
		s.stats.dropped.Add(1)
		s.stats.deadLetters.Add(1)
		if e.kind == kindMessage {
			s.h.DeadLetter(e.to, e.from, e.msg)
		}
		return ErrOverflow
	}
	q.Push(*e)
	s.outboxN++
	if q.Len() >= outboxBatch {
		s.publishOutbox(i)
	}
	return nil
}

// publishOutbox moves shard i's outbox into its inbox while there is room.
func (s *Shard) publishOutbox(i int) {
	q := &s.outbox[i]
	t := s.group.shards[i].inbox
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
