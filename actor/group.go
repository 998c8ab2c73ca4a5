package actor

// Join makes this actor a member of the named group. Joining twice is a
// no-op; members leave automatically when they stop or close.
func (c *Context) Join(group string) {
	if c.conn != nil {
		c.sh.Join(c.conn, group)
	}
}

// Leave removes this actor from the named group.
func (c *Context) Leave(group string) {
	if c.conn != nil {
		c.sh.Leave(c.conn, group)
	}
}

// Publish delivers msg to every member of the named group on every shard,
// this actor included if it is a member; each member receives it with
// Sender() == this actor. One envelope goes to each shard with members, which
// hands it to each of them, so the message is never copied per member (a
// []byte from the wire is copied once). Publish never blocks; see Send for
// what happens when a shard's inbox is full.
func (c *Context) Publish(group string, msg any) error {
	msg = c.sh.CopyFrame(msg)
	return first(c.noteFull(userErr(c.sh.Publish(uint64(c.self), group, msg)), 0), c.remoteFan(KindPublish, group, msg))
}

// first returns the first of two errors that is not nil.
func first(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Publish delivers msg to every member of the named group, from outside any
// actor (members see a zero Sender). Safe from any goroutine. While a
// member shard's inbox is full it waits like System.Send (parked, up to
// SendWait) and then gives up on that shard with ErrInboxFull; on a
// shard's goroutine it never waits (use Context.Publish there).
func (s *System) Publish(group string, msg any) error {
	return first(userErr(s.set.Publish(0, group, msg)), s.remoteFan(KindPublish, 0, group, msg))
}

// Broadcast writes msg to the connection of every member of the named group
// on every shard, this actor's own included if it is a member, without
// running the members' actors: each shard encodes msg once per codec and
// every member connection sends the same bytes — by reference from 1 KiB up
// (no copy per member), copied below that, where a copy is cheaper than a
// writev part — in order with what the member's actor writes itself. Members without a
// connection are skipped. Use it for the plain fan-out of a chat room or a
// game state; use Publish when members must handle the message. A []byte
// from the wire is copied once. Broadcast never blocks.
func (c *Context) Broadcast(group string, msg any) error {
	msg = c.sh.CopyFrame(msg)
	return first(c.noteFull(userErr(c.sh.Broadcast(group, msg)), 0), c.remoteFan(KindBroadcast, group, msg))
}

// Broadcast is Context.Broadcast from outside any actor. Safe from any
// goroutine; it waits for a full inbox as Publish does.
func (s *System) Broadcast(group string, msg any) error {
	return first(userErr(s.set.Broadcast(group, msg)), s.remoteFan(KindBroadcast, 0, group, msg))
}
