package actor

import "crypto/tls"

// Actor is the behaviour of a connection (or, later, of any addressable
// entity): it handles one message at a time.
type Actor interface {
	// Receive handles ctx.Message(). It runs on the actor's shard goroutine
	// and must not block. ctx is valid only during the call.
	Receive(ctx *Context)
}

// Factory makes the actor for each new connection of a listener.
type Factory func() Actor

// ReceiveFunc adapts a function to the Actor interface.
type ReceiveFunc func(ctx *Context)

// Receive calls f(ctx).
func (f ReceiveFunc) Receive(ctx *Context) { f(ctx) }

// Opened is the first message a connection actor receives, once its socket
// is registered with its shard and, for a protocol with a handshake
// (WebSocket), once the handshake is done.
type Opened struct {
	// Info is what the connection's handshake learnt: a *websocket.Upgrade
	// (the upgrade request, the subprotocol, whether messages are
	// compressed) for a WebSocket codec (ws:// and wss://); for any other
	// codec over TLS (tls://) the *tls.ConnectionState also in TLS; nil for
	// codecs without a handshake over plain TCP.
	Info any
	// TLS is the negotiated state of a TLS connection (tls:// or wss://):
	// Version, CipherSuite, NegotiatedProtocol (ALPN), ServerName,
	// PeerCertificates (mutual TLS), DidResume. Nil over plain TCP.
	TLS *tls.ConnectionState
}

// Closed is the last message a connection actor receives, exactly once, after
// its socket is closed; from the moment the close began (ctx.Close, a
// panic, a limit) nothing else reaches the actor. Err is nil when the peer
// or the actor closed the connection cleanly; otherwise it says why: a codec
// error (for example a *codec.FrameError, or codec.ErrTruncated when the
// peer left mid-frame), a socket error, a *PanicError, ErrIdle,
// ErrSlowConsumer, ErrShutdown, or ErrCloseTimeout (wrapping one of the
// others) when the peer did not take the last bytes in time.
type Closed struct {
	Err error
}

// Started is the first message a spawned (non-connection) actor receives,
// and the first one each fresh incarnation receives after a restart, before
// anything that was queued for its ID.
type Started struct{}

// Stopped is the last message a spawned actor receives, exactly once, after
// Context.Stop or when its system stops. Its timers and group memberships are
// gone by then.
type Stopped struct{}
