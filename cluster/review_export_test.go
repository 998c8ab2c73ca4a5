package cluster

import (
	"context"
	"time"

	"github.com/shoalrt/shoal/actor"
)

// RecoverSplit runs a recovery of group from since as Read does, but with
// between called after its head (read) and before its scan is left to the
// coalescer (recoverLater): the wait a recovery's scan job has in the
// workers' queue, made long enough for the history limits to act.
func (n *Node) RecoverSplit(group string, since actor.Position, between func()) (actor.History, error) {
	s := n.store
	_, h, err := s.historyOf(group)
	if err != nil {
		return actor.History{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), actor.StoreTimeout)
	defer cancel()
	hist, rec, err := s.read(ctx, h, group, true, since, 0, 0)
	if rec == nil {
		return hist, err
	}
	between()
	type answer struct {
		h   actor.History
		err error
	}
	got := make(chan answer, 1)
	rec.reply = func(h actor.History, err error) { got <- answer{h, err} }
	s.recoverLater(h, rec)
	select {
	case a := <-got:
		return a.h, a.err
	case <-time.After(20 * time.Second):
		return actor.History{}, context.DeadlineExceeded
	}
}
