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

// RecoverSplitMany is RecoverSplit for several recoveries of one stream:
// every head first, then between, then every scan left to the coalescer
// at once.
func (n *Node) RecoverSplitMany(groups []string, since []actor.Position, between func()) ([]actor.History, []error) {
	s := n.store
	type answer struct {
		i   int
		h   actor.History
		err error
	}
	got := make(chan answer, len(groups))
	hs := make([]actor.History, len(groups))
	errs := make([]error, len(groups))
	type pending struct {
		h   *history
		rec *recovery
	}
	var recs []pending
	for i, g := range groups {
		_, h, err := s.historyOf(g)
		if err != nil {
			errs[i] = err
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), actor.StoreTimeout)
		hist, rec, err := s.read(ctx, h, g, true, since[i], 0, 0)
		cancel()
		if rec == nil {
			hs[i], errs[i] = hist, err
			continue
		}
		rec.reply = func(h actor.History, err error) { got <- answer{i, h, err} }
		recs = append(recs, pending{h, rec})
	}
	between()
	s.mu.Lock()
	for _, p := range recs {
		s.recs[p.h] = append(s.recs[p.h], p.rec)
	}
	s.mu.Unlock()
	for _, p := range recs {
		s.submit(&s.work, s.scanJob(p.h, p.rec)) // recoverLater, its recovery already waiting
	}
	for range recs {
		select {
		case a := <-got:
			hs[a.i], errs[a.i] = a.h, a.err
		case <-time.After(20 * time.Second):
			return hs, errs
		}
	}
	return hs, errs
}
