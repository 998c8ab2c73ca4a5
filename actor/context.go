package actor

import (
	"net"

	"github.com/shoalrt/shoal/shard"
)

// Context is what Receive gets: the message, who the actor is, and the ways
// it can act. A Context is valid only during the Receive call it was passed
// to and only on that goroutine; do not keep it.
type Context struct {
	sys  *System
	sh   *shard.Shard
	h    *handler
	conn *shard.Conn
	self ID
	from ID
	msg  any
	req  *request     // the request being handled, for Respond; nil otherwise
	pub  *Publication // the stored publication being handled (Publication); nil otherwise
}

// Message returns the message being handled: a value decoded by the
// connection's codec, a message sent by another actor, or a system message
// (Opened, Closed). A []byte decoded from the wire aliases the connection's
// read buffer: copy it to keep it past this call.
func (c *Context) Message() any { return c.msg }

// Self returns this actor's ID.
func (c *Context) Self() ID { return c.self }

// Sender returns the ID of the actor that sent the message, or the zero ID
// for messages from the wire and system messages.
func (c *Context) Sender() ID { return c.from }

// System returns the actor's system.
func (c *Context) System() *System { return c.sys }

// Shard returns the index of the shard the actor is pinned to.
func (c *Context) Shard() int { return c.sh.Index() }

// Write encodes msg with the connection's codec and queues it; the shard
// writes everything queued in one system call at the end of its turn. It
// returns ErrClosed once the connection is closing, and the codec's error if
// msg cannot be encoded (nothing is queued then).
func (c *Context) Write(msg any) error {
	if c.conn == nil || c.conn.Fd() < 0 {
		return ErrClosed
	}
	return userErr(c.sh.WriteMessage(c.conn, msg))
}

// WriteBytes frames p with the connection's codec (for example a length
// header or a line end) and queues it like Write. p is copied, so it may be
// the message being handled. Unlike Write, it never allocates.
func (c *Context) WriteBytes(p []byte) error {
	if c.conn == nil || c.conn.Fd() < 0 {
		return ErrClosed
	}
	return userErr(c.sh.WriteFrame(c.conn, p))
}

// Close closes the connection after flushing what was written; the actor then
// receives Closed{Err: nil}.
func (c *Context) Close() { c.CloseWith(nil) }

// CloseWith closes the connection like Close; the actor then receives
// Closed{Err: reason}.
func (c *Context) CloseWith(reason error) {
	if c.conn != nil {
		c.sh.Close(c.conn, reason)
	}
}

// Send sends msg to the actor with ID to. It never blocks: a target on this
// shard gets it later in this turn, a target on another shard through that
// shard's inbox (kept for retry while that inbox is full, up to a bound,
// after which it fails at once with ErrInboxFull, the message a dead
// letter: the same error System.Send gives). Messages from one actor to
// another arrive in the order sent. A target that no longer exists makes the
// message a dead letter (counted in Stats), never a delivery to anyone else.
// A []byte received from the wire is copied before it is sent.
func (c *Context) Send(to ID, msg any) error {
	if to == 0 {
		return ErrZeroID
	}
	msg = c.sh.CopyFrame(msg)
	err := c.sh.Send(uint64(to), uint64(c.self), msg)
	if err == shard.ErrRemoteNode {
		return c.h.remote(Envelope{Kind: KindMessage, Node: to.Node(), To: to, From: c.self, Msg: msg})
	}
	return c.noteFull(userErr(err), to)
}

// noteFull logs (rate-limited) a send of this actor's to to (0: to a
// group's members) that failed for a full inbox, and returns err.
func (c *Context) noteFull(err error, to ID) error {
	if err == ErrInboxFull {
		c.h.logInboxFull(c.self, to)
	}
	return err
}

// RemoteAddr returns the peer's address, or nil for an actor without a
// connection or a socket that is gone. For a stream connection it makes a
// system call.
func (c *Context) RemoteAddr() net.Addr {
	if c.conn == nil {
		return nil
	}
	return c.sh.RemoteAddr(c.conn)
}

// Buffered returns how many bytes written to the connection are still waiting
// for the socket.
func (c *Context) Buffered() int {
	if c.conn == nil {
		return 0
	}
	return c.h.sh.Buffered(c.conn)
}
