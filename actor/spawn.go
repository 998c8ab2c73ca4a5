package actor

import "errors"

// ErrNilFactory is returned by Spawn and Listen when given a nil factory.
var ErrNilFactory = errors.New("actor: nil factory")

type spawnRequest struct {
	f     Factory
	reply chan spawnReply
}

type spawnReply struct {
	id  ID
	err error
}

// Spawn starts an actor that is not a connection (a room, a match, a game
// world) on one of the system's shards, chosen round-robin, and returns its
// ID once it exists; it receives Started first. Safe from any goroutine but a
// shard's: it waits for the shard, so inside Receive use Context.Spawn.
func (s *System) Spawn(f Factory) (ID, error) {
	if f == nil {
		return 0, ErrNilFactory
	}
	req := &spawnRequest{f: f, reply: make(chan spawnReply, 1)}
	if err := s.g.Spawn(req); err != nil {
		return 0, err
	}
	r := <-req.reply
	return r.id, r.err
}

// Spawn starts an actor that is not a connection on this actor's shard and
// returns its ID at once. The new actor receives Started before any message
// sent to it afterwards.
func (c *Context) Spawn(f Factory) (ID, error) {
	if f == nil {
		return 0, ErrNilFactory
	}
	conn, err := c.sh.Spawn()
	if err != nil {
		return 0, err
	}
	conn.User = f()
	id := ID(c.sh.Addr(conn))
	if err := c.sh.Send(uint64(id), 0, Started{}); err != nil {
		return 0, err
	}
	return id, nil
}

// Stop stops this actor: a spawned actor then receives Stopped, a
// connection actor is closed (after flushing) and receives Closed. Messages
// sent to it afterwards are dead letters.
func (c *Context) Stop() {
	if c.conn != nil {
		c.sh.Close(c.conn, nil)
	}
}
