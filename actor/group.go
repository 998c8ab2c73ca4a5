package actor

import (
	"errors"
	"fmt"
)

// Join makes this actor a member of the named group. Joining twice is a
// no-op; members leave automatically when they stop or close.
//
// A group with presence shows this member with an empty info (JoinWith
// gives one); a group with history delivers only what is published from
// now on (JoinWith and JoinSince recover what came before).
func (c *Context) Join(group string) {
	if c.conn == nil {
		return
	}
	if len(c.sys.cfg.groups) != 0 {
		if _, ok := c.sys.cfg.groupSettings(group); ok {
			if err := c.JoinWith(group, JoinOptions{}); err != nil && !errors.Is(err, ErrJoined) {
				// A name the store cannot keep (ErrBadGroup), or no store:
				// a plain member then, never silently none.
				c.sh.Join(c.conn, group)
			}
			return
		}
	}
	c.sh.Join(c.conn, group)
}

// Leave removes this actor from the named group.
func (c *Context) Leave(group string) {
	if c.conn != nil {
		c.sh.Leave(c.conn, group)
		c.h.leftGroup(c.self, group)
	}
}

// Publish delivers msg to every member of the named group on every shard,
// this actor included if it is a member; each member receives it with
// Sender() == this actor. One envelope goes to each shard with members, which
// hands it to each of them, so the message is never copied per member (a
// []byte from the wire is copied once). Publish never blocks; see Send for
// what happens when a shard's inbox is full.
//
// A publication to a group with history is stored first, given its
// position, and delivered from the store in the order of positions, to this
// node's members as to the others' (see PublishAck to know when it is
// stored).
func (c *Context) Publish(group string, msg any) error {
	msg = c.sh.CopyFrame(msg)
	if _, ok := c.sys.historyOf(group); ok {
		return c.sys.storePublish(c.self, group, msg, "", nil)
	}
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
	if _, ok := s.historyOf(group); ok {
		return s.storePublish(0, group, msg, "", nil)
	}
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
//
// A group with history refuses Broadcast with ErrBroadcastHistory: its
// publications are stored and positioned, so use Publish.
func (c *Context) Broadcast(group string, msg any) error {
	if _, ok := c.sys.historyOf(group); ok {
		return fmt.Errorf("%w: %q", ErrBroadcastHistory, group)
	}
	msg = c.sh.CopyFrame(msg)
	return first(c.noteFull(userErr(c.sh.Broadcast(group, msg)), 0), c.remoteFan(KindBroadcast, group, msg))
}

// Broadcast is Context.Broadcast from outside any actor. Safe from any
// goroutine; it waits for a full inbox as Publish does.
func (s *System) Broadcast(group string, msg any) error {
	if _, ok := s.historyOf(group); ok {
		return fmt.Errorf("%w: %q", ErrBroadcastHistory, group)
	}
	return first(userErr(s.set.Broadcast(group, msg)), s.remoteFan(KindBroadcast, 0, group, msg))
}
