package shard

import "sync"

// members are one group's members on one shard, as addresses, with each
// slot's position for O(1) removal.
type members struct {
	addrs []uint64
	pos   map[int32]int
}

// groupIndex records which shards have members of each group, so a publish
// visits only those shards. Read on every publish, written only when a
// shard's first member joins or its last one leaves.
type groupIndex struct {
	mu     sync.RWMutex
	shards map[string]*shardMask
	hook   func(name string, on bool) // Config.OnGroup
}

// shardMask is a bitset of shard indexes.
type shardMask [MaxShards / 64]uint64

func (g *groupIndex) update(name string, shard int, on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shards == nil {
		g.shards = make(map[string]*shardMask)
	}
	mask := g.shards[name]
	if mask == nil {
		if !on {
			return
		}
		mask = new(shardMask)
		g.shards[name] = mask
		if g.hook != nil {
			g.hook(name, true)
		}
	}
	if on {
		mask[shard/64] |= 1 << (shard % 64)
		return
	}
	mask[shard/64] &^= 1 << (shard % 64)
	if *mask == (shardMask{}) {
		delete(g.shards, name)
		if g.hook != nil {
			g.hook(name, false)
		}
	}
}

// lookup copies the mask of shards with members of name.
func (g *groupIndex) lookup(name string) (mask shardMask, ok bool) {
	g.mu.RLock()
	if p := g.shards[name]; p != nil {
		mask, ok = *p, true
	}
	g.mu.RUnlock()
	return mask, ok
}

// Join makes c a member of group name; joining twice is a no-op. Members
// leave automatically when their slot closes. Shard goroutine only.
func (s *Shard) Join(c *Conn, name string) {
	for _, g := range s.joined[c.slot] {
		if g == name {
			return
		}
	}
	m := s.groups[name]
	if m == nil {
		m = &members{pos: make(map[int32]int)}
		s.groups[name] = m
		s.set.index.update(name, s.index, true)
	}
	m.pos[c.slot] = len(m.addrs)
	m.addrs = append(m.addrs, s.Addr(c))
	s.joined[c.slot] = append(s.joined[c.slot], name)
}

// IsMember reports whether c is a member of group name. Shard goroutine
// only.
func (s *Shard) IsMember(c *Conn, name string) bool {
	for _, g := range s.joined[c.slot] {
		if g == name {
			return true
		}
	}
	return false
}

// Leave removes c from group name, if it is a member. Shard goroutine only.
func (s *Shard) Leave(c *Conn, name string) {
	groups := s.joined[c.slot]
	for i, g := range groups {
		if g == name {
			groups[i] = groups[len(groups)-1]
			groups = groups[:len(groups)-1]
			if len(groups) == 0 {
				delete(s.joined, c.slot)
			} else {
				s.joined[c.slot] = groups
			}
			s.dropMember(c.slot, name)
			return
		}
	}
}

// leaveAll removes c from every group it joined.
func (s *Shard) leaveAll(c *Conn) {
	for _, name := range s.joined[c.slot] {
		s.dropMember(c.slot, name)
	}
	delete(s.joined, c.slot)
}

func (s *Shard) dropMember(slot int32, name string) {
	m := s.groups[name]
	i, ok := m.pos[slot]
	if !ok {
		return
	}
	last := len(m.addrs) - 1
	if i != last {
		m.addrs[i] = m.addrs[last]
		m.pos[int32(AddrSlot(m.addrs[i]))] = i
	}
	m.addrs = m.addrs[:last]
	delete(m.pos, slot)
	if last == 0 {
		delete(s.groups, name)
		s.set.index.update(name, s.index, false)
	}
}

// Publish delivers msg, from the actor at address from, to every member of
// group name on every shard: one envelope per shard that has members, which
// that shard hands to each of its members in turn. Like Send, it never waits
// for another shard. Shard goroutine only.
func (s *Shard) Publish(from uint64, name string, msg any) error {
	return s.fan(kindPublish, from, name, msg)
}

// fan sends one envelope of kind (publish or broadcast) to every shard with
// members of group name.
func (s *Shard) fan(kind envKind, from uint64, name string, msg any) error {
	mask, ok := s.set.index.lookup(name)
	if !ok {
		return nil
	}
	pub := &publication{group: name, msg: msg} // one per call, shared by every shard
	var err error
	for i := range s.set.shards {
		if mask[i/64]&(1<<(i%64)) == 0 {
			continue
		}
		e := envelope{kind: kind, from: from, msg: pub}
		if e2 := s.post(i, &e); e2 != nil && err == nil {
			err = e2
		}
	}
	return err
}

// Publish is Shard.Publish for goroutines that are not a shard's. While a
// target inbox is full it waits as Set.Send does, then gives up on that
// shard with ErrInboxFull.
func (set *Set) Publish(from uint64, name string, msg any) error {
	return set.fanOut(kindPublish, from, name, msg)
}

func (set *Set) fanOut(kind envKind, from uint64, name string, msg any) error {
	if !set.Running() {
		return ErrStopped
	}
	mask, ok := set.index.lookup(name)
	if !ok {
		return nil
	}
	pub := &publication{group: name, msg: msg}
	var err error
	for i, s := range set.shards {
		if mask[i/64]&(1<<(i%64)) == 0 {
			continue
		}
		e := envelope{kind: kind, from: from, msg: pub}
		if e2 := set.put(s, &e); e2 != nil {
			err = e2
		}
	}
	return err
}

// publishLocal hands msg to every local member of group name. Members are
// copied to a scratch list first, so a member that joins or leaves during
// the fan-out changes nothing under the loop. Like the inbox, the fan-out
// delivers through Handler.Deliver under one deferred recover, not one per
// member: a member that panics costs only its own delivery, and the others
// still get the message.
func (s *Shard) publishLocal(name string, from uint64, msg any) {
	m := s.groups[name]
	if m == nil {
		return
	}
	s.fanout = append(s.fanout[:0], m.addrs...)
	for i := 0; i < len(s.fanout); {
		i = s.fanGuarded(i, from, msg)
	}
	s.hot.delivered += uint64(len(s.fanout))
}

// fanGuarded delivers msg to the members s.fanout[i:] and returns
// len(s.fanout), or, if one panicked (the panic handled), the index after
// it.
func (s *Shard) fanGuarded(i int, from uint64, msg any) (next int) {
	defer func() {
		if r := recover(); r != nil {
			if !s.h.Recover(r) {
				panic(r)
			}
			next = s.fanPos + 1
		}
	}()
	for ; i < len(s.fanout); i++ {
		a := s.fanout[i]
		if c := s.table.lookup(AddrSlot(a), AddrGen(a)); c != nil && c.state == stateOpen {
			s.fanPos = i
			s.h.Deliver(c, from, msg)
		}
	}
	return i
}
