package actor

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/shoalrt/shoal/shard"
)

// Every error the package returns or delivers is, or wraps, one of these
// sentinels, a *PanicError, or an error of a package the user gave the
// system (a codec's, a cluster's, the operating system's). Errors that start
// in the event loop are translated at the package's edge, so errors.Is with
// the sentinels below holds however deep they came from.

// Errors of sending and addressing.
var (
	// ErrZeroID is returned by sends to the zero ID.
	ErrZeroID = errors.New("actor: send to zero ID")
	// ErrBadID is wrapped by ParseID's error (and UnmarshalText's) for text
	// that is not an ID.
	ErrBadID = errors.New("actor: bad ID")
	// ErrBadEnvelope is returned by Local.Deliver for an envelope of no
	// known kind.
	ErrBadEnvelope = errors.New("actor: envelope of unknown kind")
	// ErrInvalidID is returned by sends to an ID that names no shard of this
	// system.
	ErrInvalidID = errors.New("actor: ID names no shard of this system")
	// ErrRemoteNode is returned by sends to an ID on another node when no
	// cluster is attached.
	ErrRemoteNode = errors.New("actor: ID on another node, and no cluster attached")
	// ErrInboxFull is returned by a send, publication or broadcast whose
	// target shard's inbox was full: by System.Send (and Publish,
	// Broadcast, a cluster's deliveries) after waiting up to SendWait, and
	// by Context.Send (Publish, Broadcast) at once when too many of this
	// shard's sends to that shard already wait for room (MaxRetry). The
	// message was not delivered.
	ErrInboxFull = errors.New("actor: inbox full")
	// ErrNotSent is wrapped by the error of a send, request, answer,
	// publication or broadcast that the cluster (the Remote) could not
	// carry to another node; the error wraps the Remote's own reason too
	// (package cluster: cluster.ErrNoNode for a node not known alive,
	// cluster.ErrBacklog, cluster.ErrTooLarge, an encoding error...).
	ErrNotSent = errors.New("actor: not sent to the other node")
	// ErrNodeDown is wrapped by the Response.Err of a Request, and by the
	// error of an Ask, that was waiting for an actor of another node when
	// that node was reported down (see NodeDown): the answer cannot come.
	// The error also wraps the NodeDown's Reason.
	ErrNodeDown = errors.New("actor: the target's node went down")
)

// Errors of the system's life.
var (
	// ErrStopped is returned by Send, Spawn, Listen and Dial on a system
	// that is not running (Listen before Start is fine), and by a second
	// Stop.
	ErrStopped = errors.New("actor: system not running")
	// ErrStarted is returned by Start on a system started before.
	ErrStarted = errors.New("actor: system already started")
	// ErrOnShard is returned at once by the System methods that wait (Ask,
	// Spawn, Dial, Stop, Listener.Shutdown) when called on a shard's
	// goroutine — from Receive, or from a hook the shard runs — where
	// waiting would stall every actor of the shard, or never end. Actors
	// have non-blocking forms: Context.Request, Context.Spawn, Context.Dial.
	ErrOnShard = errors.New("actor: blocking call from a shard's goroutine")
	// ErrNoSlot is returned by Spawn, and is the Closed.Err of an accepted
	// connection, when its shard holds as many actors as an ID can address.
	ErrNoSlot = errors.New("actor: shard has no free actor slot")
	// ErrNilFactory is returned by Spawn, Listen and Dial when given a nil
	// factory.
	ErrNilFactory = errors.New("actor: nil factory")
	// ErrNilActor is why an actor could not be made when its factory
	// returned nil: Spawn's and Dial's error, or the Closed.Err of an
	// accepted connection.
	ErrNilActor = errors.New("actor: factory returned a nil Actor")
	// ErrBusy is returned by Context.Go when every worker is busy and the
	// queue of waiting jobs is full: the shard never waits for a worker.
	ErrBusy = errors.New("actor: worker pool saturated")
	// ErrBadDuration is returned by After for a negative delay and by Every
	// for a period that is zero or negative.
	ErrBadDuration = errors.New("actor: bad timer duration")
)

// Errors of requests.
var (
	// ErrTimeout is the Response.Err of a request whose answer did not come
	// in time.
	ErrTimeout = errors.New("actor: request timed out")
	// ErrNoRequest is returned by Respond when the message being handled is
	// not a request.
	ErrNoRequest = errors.New("actor: message is not a request")
	// ErrNoActor is the Response.Err (or Ask's error) of a request sent to an
	// ID that no longer exists.
	ErrNoActor = errors.New("actor: no actor with that ID")
)

// Errors of listeners, dials and options.
var (
	// ErrBadOption is wrapped by the error of Listen, Dial or Context.Dial
	// given an option value it cannot use (a negative limit, an option that
	// applies to the other of the two).
	ErrBadOption = errors.New("actor: bad option")
	// ErrBadAddress is wrapped by the error of Listen or Dial given an
	// address it cannot parse.
	ErrBadAddress = errors.New("actor: bad address")
	// ErrHandshake is the error of a Dial whose peer closed the connection
	// before the protocol's handshake (a WebSocket upgrade) finished,
	// without saying why.
	ErrHandshake = errors.New("actor: connection closed during the handshake")
	// ErrListenerClosed is returned by a second Listener.Close, and is the
	// Closed.Err of the connections Listener.Shutdown closes (and of a UDP
	// listener's peers when it closes).
	ErrListenerClosed = errors.New("actor: listener closed")
	// ErrStreamOverPacket is returned by Listen for a UDP address with a
	// codec.StreamCodec (WebSocket), whose protocol needs a byte stream.
	ErrStreamOverPacket = errors.New("actor: a stream codec needs a stream socket, not datagrams")
)

// Errors of connections: what Write returns, and why one closed (Closed.Err).
var (
	// ErrClosed is returned when writing to a connection that is closing or
	// closed, or from an actor that has no connection.
	ErrClosed = errors.New("actor: connection closed")
	// ErrShutdown is the Closed.Err of connections closed by System.Stop.
	ErrShutdown = errors.New("actor: system shutting down")
	// ErrIdle is the Closed.Err of a connection closed by its listener's
	// idle timeout.
	ErrIdle = errors.New("actor: idle timeout")
	// ErrSlowConsumer is the Closed.Err of a connection whose unwritten
	// output passed its limit.
	ErrSlowConsumer = errors.New("actor: slow consumer, unwritten output passed its limit")
	// ErrBackpressure is returned by writes dropped under DropWrites.
	ErrBackpressure = errors.New("actor: write dropped under backpressure")
	// ErrCloseTimeout is the Closed.Err of a connection whose peer did not
	// take its last bytes within the listener's CloseTimeout: the socket
	// was reset. It wraps the reason the close began with, if any, so
	// errors.Is(err, ErrShutdown) still holds for one closed by Stop.
	ErrCloseTimeout = errors.New("actor: close timed out, connection reset")
	// ErrHandshakeTimeout is why a connection whose protocol handshake (a
	// WebSocket upgrade) took longer than its codec allows was closed: the
	// error of a Dial whose server never answered the upgrade.
	ErrHandshakeTimeout = errors.New("actor: handshake timeout")
	// ErrNotTLS is why a connection to a TLS listener was closed whose
	// first bytes were not a TLS handshake (garbage, or a plain HTTP
	// request, which is answered with a 400 first).
	ErrNotTLS = errors.New("actor: not a TLS handshake")
	// ErrTLS is matched by every *TLSError.
	ErrTLS = errors.New("actor: tls")
)

// TLSError is why a TLS connection failed in crypto/tls, as its Closed.Err
// or a Dial's error: its handshake (Op "handshake": a bad or refused
// certificate, no common version or cipher suite, an alert from the peer,
// a record over the maximum size, a peer that closed mid-handshake) or a
// record after it (Op "read": a bad record MAC, an oversized record, a
// record cut short by the peer's close, which is io.ErrUnexpectedEOF; Op
// "write": crypto/tls refused to seal, its connection having failed). It
// matches ErrTLS with errors.Is and unwraps to crypto/tls's error (for
// example a tls.AlertError, or a *tls.CertificateVerificationError).
type TLSError struct {
	Op  string
	Err error
}

// Error implements error.
func (e *TLSError) Error() string { return "actor: tls " + e.Op + ": " + e.Err.Error() }

// Unwrap returns ErrTLS and Err.
func (e *TLSError) Unwrap() []error { return []error{ErrTLS, e.Err} }

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

// fromShard maps each of the event loop's sentinels to the package's own.
// A test checks that every sentinel package shard declares is here.
var fromShard = map[error]error{
	shard.ErrClosed:           ErrClosed,
	shard.ErrShutdown:         ErrShutdown,
	shard.ErrStopped:          ErrStopped,
	shard.ErrStarted:          ErrStarted,
	shard.ErrInboxFull:        ErrInboxFull,
	shard.ErrRemoteNode:       ErrRemoteNode,
	shard.ErrBadAddress:       ErrInvalidID,
	shard.ErrTooManySlots:     ErrNoSlot,
	shard.ErrIdle:             ErrIdle,
	shard.ErrSlowConsumer:     ErrSlowConsumer,
	shard.ErrCloseTimeout:     ErrCloseTimeout,
	shard.ErrOnShard:          ErrOnShard,
	shard.ErrBackpressure:     ErrBackpressure,
	shard.ErrStreamOverPacket: ErrStreamOverPacket,
	shard.ErrListenerClosed:   ErrListenerClosed,
	shard.ErrHandshakeTimeout: ErrHandshakeTimeout,
	shard.ErrHandshake:        ErrHandshake,
	shard.ErrNotTLS:           ErrNotTLS,
	shard.ErrTLS:              ErrTLS,
}

// userErr translates an error that may come from the event loop into what
// a user sees: a shard sentinel becomes the package's own; an error that
// wraps shard sentinels (a close that timed out, wrapping why it began; a
// listen that failed) is rebuilt around the package's sentinels, keeping
// every other error it wraps (a socket error, a codec's) reachable with
// errors.Is and errors.As. Errors of no shard origin pass unchanged.
func userErr(err error) error {
	if err == nil {
		return nil // the common case, inlined at every call
	}
	return translate(err)
}

// translate is userErr for a non-nil error.
func translate(err error) error {
	// The sentinels are pointers; an error of another kind (a user's close
	// reason or codec error may be a slice, or a struct holding one) is
	// never one of them, and hashing it for the lookup would panic.
	if reflect.TypeOf(err).Kind() == reflect.Pointer {
		if e, ok := fromShard[err]; ok {
			return e
		}
	}
	var ct *shard.CloseTimeoutError
	if errors.As(err, &ct) {
		if ct.Reason == nil {
			return ErrCloseTimeout
		}
		return &closeTimeout{reason: userErr(ct.Reason)}
	}
	var te *shard.TLSError
	if errors.As(err, &te) {
		return &TLSError{Op: te.Op, Err: te.Err}
	}
	var se *shard.OpError
	if errors.As(err, &se) {
		return &opError{op: se.Op, err: userErr(se.Err)}
	}
	return err
}

// closeTimeout is ErrCloseTimeout wrapping the reason the close began with.
type closeTimeout struct{ reason error }

func (e *closeTimeout) Error() string {
	return ErrCloseTimeout.Error() + " (closing for: " + e.reason.Error() + ")"
}

func (e *closeTimeout) Unwrap() []error { return []error{ErrCloseTimeout, e.reason} }

// opError is an event loop's failed operation (say, "listen tcp://:80"),
// with its cause translated.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "actor: " + e.op + ": " + e.err.Error() }

func (e *opError) Unwrap() error { return e.err }
