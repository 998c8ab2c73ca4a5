package actor

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/shoalrt/shoal/shard"
)

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
		if o != nil {
			o(r)
		}
	}
	return r
}

// check refuses a policy that cannot be kept.
func (r *spawnRequest) check() error {
	if p := r.policy; p.MaxRestarts < 0 || p.Window < 0 {
		return fmt.Errorf("%w: Supervise(%+v): negative", ErrBadOption, p)
	}
	return nil
}

type spawnReply struct {
	id  ID
	err error
}

// Spawn starts an actor that is not a connection (a room, a match, a game
// world) on one of the system's shards, chosen round-robin, and returns its
// ID once it exists; it receives Started first. It waits for the shard, so
// it is for goroutines outside the system: called on a shard's goroutine
// (from Receive or a hook) it returns ErrOnShard at once; inside Receive use
// Context.Spawn.
func (s *System) Spawn(f Factory, opts ...SpawnOption) (ID, error) {
	if f == nil {
		return 0, ErrNilFactory
	}
	if shard.OnShard() {
		return 0, ErrOnShard
	}
	req := newSpawnRequest(f, opts)
	if err := req.check(); err != nil {
		return 0, err
	}
	req.reply = make(chan spawnReply, 1)
	if err := s.set.Spawn(req); err != nil {
		return 0, userErr(err)
	}
	r := <-req.reply
	return r.id, userErr(r.err)
}

// Spawn starts an actor that is not a connection on this actor's shard and
// returns its ID at once. The new actor receives Started before any other
// message, from whoever and however soon it is sent; Started comes later in
// this turn even if nothing is sent to it. Shard goroutine only (it is a
// Context method: call it from Receive).
func (c *Context) Spawn(f Factory, opts ...SpawnOption) (ID, error) {
	if f == nil {
		return 0, ErrNilFactory
	}
	req := newSpawnRequest(f, opts)
	if err := req.check(); err != nil {
		return 0, err
	}
	conn, err := c.sh.Spawn()
	if err != nil {
		return 0, userErr(err)
	}
	a, err := build(f)
	if err != nil {
		c.sh.Close(conn, nil) // the slot goes; nobody hears of it
		return 0, err
	}
	cl := &cell{a: a, f: f, policy: req.policy}
	conn.User = cl
	c.h.fresh(conn, cl)
	return ID(c.sh.Addr(conn)), nil
}

// Stop stops this actor: a spawned actor then receives Stopped, a
// connection actor is closed (after flushing) and receives Closed. From the
// moment Stop returns, nothing more is delivered to it but that last
// message: whatever is queued for it or sent later, by itself included, is
// a dead letter (a request gets ErrNoActor), and its timers stop.
func (c *Context) Stop() {
	if c.conn != nil {
		c.sh.Close(c.conn, nil)
	}
}
