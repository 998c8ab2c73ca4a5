package shard

// Handler is the layer above the shard: it turns slots into actors. One
// Handler serves one shard, and every method is called on that shard's
// goroutine, one call at a time, so it may keep per-shard state without locks.
type Handler interface {
	// Open is called once a new connection is registered with the poller
	// or, if its codec is a codec.StreamCodec, once its handshake is done;
	// info is what the handshake learnt (nil without one). The handler sets
	// c.User (its actor) and may write or close.
	Open(c *Conn, info any)
	// Receive delivers one message to the occupant of c: a message decoded
	// from the wire (from == 0), or one sent by the actor at address from.
	// A []byte message from the wire aliases the connection's read buffer
	// and is valid only during the call. Receive recovers from a panic in
	// the occupant's code itself.
	Receive(c *Conn, from uint64, msg any)
	// Deliver is Receive for messages between occupants, drained from the
	// shard's inbox and local queue: the hot path, so it does not recover
	// from panics itself. The shard guards a whole batch of Deliver calls
	// with one deferred recover and passes what it recovered to Recover.
	Deliver(c *Conn, from uint64, msg any)
	// Recover is given a panic recovered during a batch of Deliver calls
	// (with the panicking stack still in place, for debug.Stack). It deals
	// with it and reports true if the panic came from an occupant's code;
	// false means the panic is not the occupant's (a bug below it), and the
	// shard panics again with it. The shard then goes on with the next
	// message of the batch.
	Recover(r any) bool
	// Closed is called exactly once per opened connection, after its socket
	// was closed (one whose stream handshake never finished was never opened
	// and gets none); err is nil for a clean close. The slot is freed when it
	// returns.
	Closed(c *Conn, err error)
	// DeadLetter is called for a message whose target no longer exists.
	DeadLetter(to, from uint64, msg any)
	// Spawned is called for a Set.Spawn request: c is a new slot without
	// a socket (nil if the shard had no free slot) and arg is what was
	// passed to Set.Spawn. Closed ends such a slot like a connection.
	Spawned(c *Conn, arg any)
}
