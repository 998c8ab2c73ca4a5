package shard

import "sync/atomic"

// Spawn takes a slot without a socket on this shard, for an actor that is not
// a connection (a room, a match, a game world). The handler sets c.User; the
// slot lives until Close. Shard goroutine only.
func (s *Shard) Spawn() (*Conn, error) {
	if s.stopping {
		return nil, ErrStopped
	}
	c := s.table.alloc()
	if c == nil {
		return nil, ErrTooManySlots
	}
	c.state = stateOpen
	s.actors.Add(1)
	return c, nil
}

// spawnNext spreads Set.Spawn calls over shards round-robin.
var spawnNext atomic.Uint32

// Spawn asks a shard (round-robin) to make a socketless slot and call
// Handler.Spawned with it and arg, on that shard's goroutine. Safe from any
// goroutine except a shard's own (it may wait for room in the inbox).
func (set *Set) Spawn(arg any) error {
	if !set.Running() {
		return ErrStopped
	}
	s := set.shards[int(spawnNext.Add(1))%len(set.shards)]
	e := envelope{kind: kindSpawn, msg: arg}
	if set.put(s, &e) != nil {
		return ErrInboxFull
	}
	return nil
}

// Post runs fn on shard i's goroutine, after what its inbox already holds:
// for rare work of the layer above that every shard must do on its own
// goroutine (an event all of them act on). It waits for room as Send does,
// and fails with ErrInboxFull after that, ErrStopped if the set is not
// running, and ErrBadAddress for a shard that does not exist. fn must not
// block. If the shard stops before fn's turn, fn does not run. Safe from
// any goroutine.
func (set *Set) Post(i int, fn func()) error {
	if i < 0 || i >= len(set.shards) {
		return ErrBadAddress
	}
	if !set.Running() {
		return ErrStopped
	}
	e := envelope{kind: kindCall, msg: fn}
	return set.put(set.shards[i], &e)
}

// Reset forgets everything the runtime holds for c's occupant besides its
// slot — its timers and group memberships — so a replacement (a supervised
// restart) starts clean under the same address. Shard goroutine only.
func (s *Shard) Reset(c *Conn) {
	s.timers.cancelTo(s.Addr(c))
	s.leaveAll(c)
}
