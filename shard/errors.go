package shard

import (
	"errors"
)

var (
	// ErrClosed is returned when writing to a connection that is closing or closed.
	ErrClosed = errors.New("shard: connection closed")
	// ErrShutdown is the reason given to connections closed because their
	// set is stopping.
	ErrShutdown = errors.New("shard: shutting down")
	// ErrStopped is returned by operations on a set that has stopped or
	// never started.
	ErrStopped = errors.New("shard: set not running")
	// ErrInboxFull is returned by a send that found the target shard's
	// inbox full: from outside a shard (Set.Send, Publish, Spawn, Post,
	// Adopt) once the inbox stayed full while the sender waited; from a
	// shard goroutine (Shard.Send, Publish, Broadcast) once the sender's
	// retry queue for that shard is at its bound too, and the message
	// became a dead letter.
	ErrInboxFull = errors.New("shard: inbox full")
	// ErrRemoteNode is returned for a send to an address on another node,
	// which this package cannot route.
	ErrRemoteNode = errors.New("shard: address on another node")
	// ErrBadAddress is returned for a zero or malformed address.
	ErrBadAddress = errors.New("shard: invalid address")
	// ErrTooManySlots is returned when a shard has no free slot left.
	ErrTooManySlots = errors.New("shard: slot table full")
	// ErrIdle is the close reason of a connection that stayed silent past
	// its listener's idle timeout.
	ErrIdle = errors.New("shard: idle timeout")
	// ErrSlowConsumer is the close reason of a connection whose outbound
	// bytes passed its limit (Disconnect, or KeepWrites past MaxBuffered).
	ErrSlowConsumer = errors.New("shard: slow consumer, outbound limit passed")
	// ErrCloseTimeout is the close reason of a connection whose peer did
	// not take its last bytes within the close timeout: the socket was
	// reset. It wraps the reason the close began with, if any.
	ErrCloseTimeout = errors.New("shard: close timed out, connection reset")
	// ErrOnShard is returned by calls that wait (for a shard, the network
	// or an answer) when made from a shard's goroutine, where waiting would
	// stall every connection of the shard, or never end.
	ErrOnShard = errors.New("shard: blocking call from a shard goroutine")
	// ErrBackpressure is returned by writes dropped under DropWrites, and
	// by datagrams dropped because the socket had no room.
	ErrBackpressure = errors.New("shard: write dropped under backpressure")
	// ErrStreamOverPacket is returned by Listen for a datagram network with
	// a codec.StreamCodec, whose protocol needs a byte stream.
	ErrStreamOverPacket = errors.New("shard: a stream codec needs a stream socket, not datagrams")
	// ErrStarted is returned by Start on a set started before.
	ErrStarted = errors.New("shard: already started")
	// ErrHandshakeTimeout is the close reason of a connection whose
	// protocol handshake (a WebSocket upgrade) did not finish within its
	// codec's HandshakeTimeout.
	ErrHandshakeTimeout = errors.New("shard: handshake timeout")
	// ErrHandshake is the error a dialled stream connection reports when
	// the peer closed it before its handshake finished, without saying why.
	ErrHandshake = errors.New("shard: connection closed during the handshake")
	// ErrListenerClosed is returned by Listen on a stopped set and by
	// CloseListener on a listener closed before; it is the close reason
	// of a UDP listener's peers when the listener closes without one.
	ErrListenerClosed = errors.New("shard: listener closed")
	// ErrNotTLS is the close reason of a connection to a TLS listener
	// whose first bytes are not a TLS handshake (a plain HTTP request is
	// answered with a 400 first).
	ErrNotTLS = errors.New("shard: not a TLS handshake")
	// ErrTLS is matched (errors.Is) by every *TLSError.
	ErrTLS = errors.New("shard: tls")
)

// TLSError is the close reason of a TLS connection that failed in
// crypto/tls: its handshake (a bad or refused certificate, no common
// version or cipher suite, an alert from the peer, a peer that closed
// mid-handshake) or a record after it (a bad record MAC, an oversized
// record, a record cut short by the peer's close, which is
// io.ErrUnexpectedEOF). It matches ErrTLS with errors.Is and unwraps to Err.
type TLSError struct {
	Op  string // "handshake", "read" or "write"
	Err error  // crypto/tls's error (for example a tls.AlertError)
}

// Error implements error.
func (e *TLSError) Error() string { return "shard: tls " + e.Op + ": " + e.Err.Error() }

// Unwrap returns Err and ErrTLS.
func (e *TLSError) Unwrap() []error { return []error{ErrTLS, e.Err} }

// CloseTimeoutError is the close reason of a connection whose peer did not
// take its last bytes within the close timeout: it matches ErrCloseTimeout
// with errors.Is and unwraps to both it and Reason, the reason the close
// began with (nil if none).
type CloseTimeoutError struct {
	Reason error // why the close began; nil for a clean close
}

// Error implements error.
func (e *CloseTimeoutError) Error() string {
	if e.Reason == nil {
		return ErrCloseTimeout.Error()
	}
	return ErrCloseTimeout.Error() + " (closing for: " + e.Reason.Error() + ")"
}

// Unwrap returns ErrCloseTimeout and Reason.
func (e *CloseTimeoutError) Unwrap() []error {
	if e.Reason == nil {
		return []error{ErrCloseTimeout}
	}
	return []error{ErrCloseTimeout, e.Reason}
}

// closeTimedOut is the reason of a close that timed out.
func closeTimedOut(reason error) error {
	if reason == nil {
		return ErrCloseTimeout
	}
	return &CloseTimeoutError{Reason: reason}
}

// OpError is an operation of the set that failed (listening on an address,
// adopting a socket), and why.
type OpError struct {
	Op  string // say, "listen tcp://127.0.0.1:80"
	Err error  // why it failed
}

// Error implements error.
func (e *OpError) Error() string { return "shard: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *OpError) Unwrap() error { return e.Err }
