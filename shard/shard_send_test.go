package shard

import (
	"errors"
	"testing"
)

// A send from a shard never waits for the target shard: while the target's
// inbox is full the sender keeps the envelopes in its retry queue, and once
// that is at its bound (Config.MaxRetry) too, Send drops the message as a
// dead letter, counts it as InboxFull and returns ErrInboxFull.
func TestShardSendToAFullInboxFailsWithErrInboxFull(t *testing.T) {
	const inbox, maxRetry = 4, 8
	rec := newRecorder()
	set := newFakeSetWith(t, Config{Shards: 2, InboxSize: inbox, MaxRetry: maxRetry}, rec, nil)
	start(t, set)

	// Shard 1 sits in a call of its own, so its inbox fills and stays full.
	release := make(chan struct{})
	defer close(release)
	blocked := make(chan struct{})
	if err := set.Post(1, func() { close(blocked); <-release }); err != nil {
		t.Fatal(err)
	}
	<-blocked

	type result struct {
		sent int
		err  error
	}
	done := make(chan result, 1)
	target := MakeAddr(0, 1, 0, 1) // on shard 1; whether it exists does not matter
	err := set.Post(0, func() {
		s := set.Shards()[0]
		for i := 0; i < 10*(inbox+maxRetry); i++ {
			if err := s.Send(target, 0, i); err != nil {
				done <- result{sent: i, err: err}
				return
			}
		}
		done <- result{sent: -1}
	})
	if err != nil {
		t.Fatal(err)
	}
	r := <-done
	if !errors.Is(r.err, ErrInboxFull) {
		t.Fatalf("Send into a full inbox and a full retry queue: %v after %d sends, want ErrInboxFull", r.err, r.sent)
	}
	if r.sent < maxRetry || r.sent > maxRetry+inbox {
		t.Fatalf("the send that failed was number %d; want one past the retry queue's %d and the inbox's free slots", r.sent, maxRetry)
	}
	dead := rec.waitCount(t, "dead", 1)
	if dead[0].addr != target || dead[0].msg != r.sent {
		t.Fatalf("dead letter %+v, want message %d to %#x", dead[0], r.sent, target)
	}
	st := set.Shards()[0].Stats()
	if st.InboxFull != 1 || st.DeadLetters != 1 {
		t.Fatalf("sender's stats: InboxFull %d, DeadLetters %d; want 1, 1", st.InboxFull, st.DeadLetters)
	}
}
