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

// spawnNext spreads Group.Spawn calls over shards round-robin.
var spawnNext atomic.Uint32

// Spawn asks a shard (round-robin) to make a socketless slot and call
// Handler.Spawned with it and arg, on that shard's goroutine. Safe from any
// goroutine except a shard's own (it may wait for room in the inbox).
func (g *Group) Spawn(arg any) error {
	if !g.Running() {
		return ErrStopped
	}
	s := g.shards[int(spawnNext.Add(1))%len(g.shards)]
	e := envelope{kind: kindSpawn, msg: arg}
	if g.put(s, &e) != nil {
		return ErrInboxFull
	}
	return nil
}

// Reset forgets everything the runtime holds for c's occupant besides its
// slot — its timers and group memberships — so a replacement (a supervised
// restart) starts clean under the same address. Shard goroutine only.
func (s *Shard) Reset(c *Conn) {
	s.timers.cancelTo(s.Addr(c))
	s.leaveAll(c)
}
