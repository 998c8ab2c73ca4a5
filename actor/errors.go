package actor

import (
	"errors"
	"fmt"

	"github.com/shoalrt/shoal/shard"
)

var (
	// ErrClosed is returned when writing to a connection that is closing or
	// closed, or from an actor that has no connection.
	ErrClosed = shard.ErrClosed
	// ErrShutdown is the Closed.Err of connections closed by System.Stop.
	ErrShutdown = shard.ErrShutdown
	// ErrStopped is returned by Send and Listen on a system that is not running.
	ErrStopped = shard.ErrStopped
	// ErrMailboxFull is returned by System.Send when the target's shard inbox
	// stayed full while the caller waited.
	ErrMailboxFull = shard.ErrInboxFull
	// ErrOverflow is returned by Context.Send when the target's shard inbox is
	// full and too many sends to it already wait; the message was dropped and
	// counted as a dead letter.
	ErrOverflow = shard.ErrOverflow
	// ErrOnShard is returned at once by the System methods that wait (Ask,
	// Spawn, Dial, Stop) when called on a shard's goroutine — from Receive,
	// or from a hook the shard runs — where waiting would stall every actor
	// of the shard, or never end. Actors have non-blocking forms:
	// Context.Request, Context.Spawn, Context.Dial.
	ErrOnShard = shard.ErrOnShard
	// ErrNodeDown is wrapped by the Response.Err of a Request, and by the
	// error of an Ask, that was waiting for an actor of another node when
	// that node was reported down (see NodeDown): the answer cannot come.
	// The error also wraps the NodeDown's Reason.
	ErrNodeDown = errors.New("actor: the target's node went down")
	// ErrCloseTimeout is the Closed.Err of a connection whose peer did not
	// take its last bytes within the listener's CloseTimeout: the socket
	// was reset. It wraps the reason the close began with, if any, so
	// errors.Is(err, ErrShutdown) still holds for one closed by Stop.
	ErrCloseTimeout = shard.ErrCloseTimeout
	// ErrHandshakeTimeout is why a connection whose protocol handshake (a
	// WebSocket upgrade) took longer than its codec allows was closed: the
	// error of a Dial whose server never answered the upgrade.
	ErrHandshakeTimeout = shard.ErrHandshakeTimeout
	// ErrTLSUnsupported is returned by Dial for a wss:// address: Shoal
	// speaks WebSocket over plain TCP only (put a TLS proxy in front).
	ErrTLSUnsupported = errors.New("actor: wss:// (TLS) is not supported")
	// ErrZeroID is returned by sends to the zero ID.
	ErrZeroID = errors.New("actor: send to zero ID")
	// ErrInvalidID is returned by sends to an ID that names no shard of this
	// system.
	ErrInvalidID = shard.ErrBadAddress
	// ErrRemoteNode is returned by sends to an ID on another node when no
	// cluster is attached.
	ErrRemoteNode = shard.ErrRemoteNode
)

// PanicError is the Closed.Err of a connection whose actor panicked in
// Receive.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the goroutine's stack at the panic
}

// Error implements error.
func (e *PanicError) Error() string { return fmt.Sprintf("actor: panic in Receive: %v", e.Value) }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
