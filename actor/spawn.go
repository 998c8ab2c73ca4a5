package actor

import (
	"errors"
	"runtime/debug"
	"time"
)

// ErrNilFactory is returned by Spawn and Listen when given a nil factory.
var ErrNilFactory = errors.New("actor: nil factory")

// ErrNilActor is why an actor could not be made when its factory returned
// nil: Spawn's and Dial's error, or the Closed.Err of an accepted
// connection.
var ErrNilActor = errors.New("actor: factory returned a nil Actor")

// build makes an actor with f. A panic in f is returned as a *PanicError
// (so a bad factory fails one spawn or one connection, never the shard), a
// nil Actor as ErrNilActor.
func build(f Factory) (a Actor, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	if a = f(); a == nil {
		return nil, ErrNilActor
	}
	return a, nil
}

type spawnRequest struct {
	f      Factory
	policy Policy
	reply  chan spawnReply
}

// SpawnOption configures a spawned actor.
type SpawnOption func(*spawnRequest)

// Supervise sets what happens when the actor panics. The default is
// RestartOnFailure(3, 10*time.Second).
func Supervise(p Policy) SpawnOption { return func(r *spawnRequest) { r.policy = p } }

var defaultPolicy = RestartOnFailure(3, 10*time.Second)

func newSpawnRequest(f Factory, opts []SpawnOption) *spawnRequest {
	r := &spawnRequest{f: f, policy: defaultPolicy}
	for _, o := range opts {
		o(r)
	}
	return r
}

type spawnReply struct {
	id  ID
	err error
}

// Spawn starts an actor that is not a connection (a room, a match, a game
// world) on one of the system's shards, chosen round-robin, and returns its
// ID once it exists; it receives Started first. Safe from any goroutine but a
// shard's: it waits for the shard, so inside Receive use Context.Spawn.
func (s *System) Spawn(f Factory, opts ...SpawnOption) (ID, error) {
	if f == nil {
		return 0, ErrNilFactory
	}
	req := newSpawnRequest(f, opts)
	req.reply = make(chan spawnReply, 1)
	if err := s.g.Spawn(req); err != nil {
		return 0, err
	}
	r := <-req.reply
	return r.id, r.err
}

// Spawn starts an actor that is not a connection on this actor's shard and
// returns its ID at once. The new actor receives Started before any message
// sent to it afterwards.
func (c *Context) Spawn(f Factory, opts ...SpawnOption) (ID, error) {
	if f == nil {
		return 0, ErrNilFactory
	}
	conn, err := c.sh.Spawn()
	if err != nil {
		return 0, err
	}
	req := newSpawnRequest(f, opts)
	a, err := build(f)
	if err != nil {
		c.sh.Close(conn, nil) // the slot goes; nobody hears of it
		return 0, err
	}
	conn.User = &cell{a: a, f: f, policy: req.policy}
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
