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
	if AddrGen(to) == 0 {
		return ErrBadAddress
	}
	if AddrNode(to) != s.node {
		return ErrRemoteNode
	}
	i := AddrShard(to)
	if i >= len(s.group.shards) {
		return ErrBadAddress
	}
	e := envelope{kind: kindMessage, to: to, from: from, msg: msg}
	return s.post(i, &e)
}

// post routes an envelope to shard i: the local queue for this shard, else
// that shard's inbox, else the bounded retry queue for it.
func (s *Shard) post(i int, e *envelope) error {
	if i == s.index {
		s.local.Push(*e)
		return nil
	}
	q := &s.retry[i]
	// fast path: nothing waits for that shard, and its ring has room
	if q.Len() == 0 && s.group.shards[i].inbox.TryPut(e) {
		return nil
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
	s.retryN++
	return nil
}

// retrySends moves kept envelopes into their targets' inboxes while they
// have room.
func (s *Shard) retrySends() {
	for i := range s.retry {
		q := &s.retry[i]
		t := s.group.shards[i].inbox
		for e := q.Peek(); e != nil && t.TryPut(e); e = q.Peek() {
			q.Pop()
			s.retryN--
		}
	}
}
