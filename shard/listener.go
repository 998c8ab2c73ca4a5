package shard

import (
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/reactor"
)

// Listener is one listening address of a set: its sockets, its codec and the
// handler's value for it (the actor factory).
type Listener struct {
	// Tag is the handler's value for this listener, as given to Listen or
	// Adopt. Read-only.
	Tag any

	limits  Limits            // per-connection limits, as given to Listen or Adopt; read-only
	network string            // tcp, tcp4, tcp6, unix, udp, udp4 or udp6
	addr    net.Addr          // the bound address (port resolved)
	codec   codec.Codec       // framing and serialisation of every connection
	raw     bool              // codec.IsRaw: frames are delivered unboxed
	stream  codec.StreamCodec // the codec, if each connection keeps protocol state
	client  bool              // connections were dialled by this process (streams greet first)
	target  string            // the address dialled, for a client stream's handshake
	tcp     bool              // set TCP_NODELAY on accepted sockets
	packet  bool              // a UDP socket: each remote address is a connection
	fds     []int             // one listening socket, or one per shard with ReusePort
	index   int               // position in the set's listener list (poller token)

	failedHook func(error) // called when the shard cannot adopt or open a dialled socket

	close listenerClose // CloseListener's state

	accepted     atomic.Uint64 // connections accepted
	acceptErrors atomic.Uint64 // accepts that failed (see AcceptErrors)
	refused      atomic.Uint64 // connections closed at once because MaxConns were open
	open         atomic.Int64  // connections open now
}

// newListener returns a listener of network decoding with c.
func newListener(network string, c codec.Codec, tag any, lim Limits) *Listener {
	l := &Listener{Tag: tag, limits: lim, network: network, codec: c, raw: codec.IsRaw(c)}
	l.close.drained = make(chan struct{})
	l.stream, _ = c.(codec.StreamCodec)
	return l
}

// Limits are a listener's per-connection limits and socket options. Zero
// values mean no limit and the defaults.
type Limits struct {
	// MaxConns is the most connections open at once; beyond it new ones are
	// closed at once (after Refusal is written to them, if set).
	MaxConns int
	// Refusal is written to a connection refused for MaxConns before it is
	// closed. Optional.
	Refusal []byte
	// IdleTimeout closes a connection that has sent nothing for this long,
	// with ErrIdle. Checked a few times per period, so the close comes up to
	// a quarter period late.
	IdleTimeout time.Duration
	// HighWater is the outbound bytes past which a connection is under
	// backpressure: the handler is told (Handler.Deliver with a Pressure) and
	// Policy applies. Below half of it, the handler is told it drained.
	HighWater int
	// Policy is what happens past HighWater.
	Policy WritePolicy
	// Socket tunes each connection's socket (for UDP: the listening socket).
	Socket SocketOptions
	// MaxBuffered is the hard cap of outbound bytes for KeepWrites: past it
	// the connection closes with ErrSlowConsumer. 0 means 4 × HighWater.
	MaxBuffered int
	// CloseTimeout bounds a graceful close: a peer that has not taken the
	// connection's last bytes this long after the close began is reset
	// (ErrCloseTimeout). 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration
	// TLS, if set, runs crypto/tls with this configuration between the
	// socket and the codec: a server for an accepted connection, a client
	// for an adopted (dialled) one. Stream sockets only.
	TLS *tls.Config
	// HandshakeTimeout bounds a TLS handshake, from the socket's opening
	// to its end (ErrHandshakeTimeout); 0 means DefaultTLSHandshakeTimeout.
	HandshakeTimeout time.Duration
}

// WritePolicy is what a connection does with writes past its high-water
// mark.
type WritePolicy uint8

const (
	// KeepWrites keeps every write and waits for the peer to drain, up to
	// Limits.MaxBuffered.
	KeepWrites WritePolicy = iota
	// DropWrites refuses writes with ErrBackpressure while over the mark.
	DropWrites
	// Disconnect closes the connection with ErrSlowConsumer.
	Disconnect
)

// Pressure is delivered to a connection's occupant (Handler.Deliver, from 0)
// when its outbound bytes cross the high-water mark (High) and when they fall
// back under half of it (!High).
type Pressure struct {
	High     bool // over the mark (true) or back under half of it (false)
	Buffered int  // outbound bytes not yet taken by the socket
}

// Open returns the number of connections open now. Safe from any goroutine.
func (l *Listener) Open() int { return int(l.open.Load()) }

// Refused returns how many connections were refused: closed at once
// because Limits.MaxConns were open. Safe from any goroutine.
func (l *Listener) Refused() uint64 { return l.refused.Load() }

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.addr }

// Accepted returns how many connections the listener has accepted. Safe from
// any goroutine.
func (l *Listener) Accepted() uint64 { return l.accepted.Load() }

// AcceptErrors returns how many times accepting failed: for lack of
// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), after which the
// listener backs off, or for an unexpected error. Errors that concern only
// the connection being accepted (ECONNABORTED, EPROTO) and EINTR are not
// counted. Safe from any goroutine.
func (l *Listener) AcceptErrors() uint64 { return l.acceptErrors.Load() }

// SocketOptions tune a connection's socket. The zero value is the default:
// Nagle's algorithm off for TCP, the system's keep-alive and buffer sizes.
type SocketOptions struct {
	// Nagle keeps Nagle's algorithm on for TCP (TCP_NODELAY off), trading
	// latency for fewer small packets. Off by default: writes are already
	// gathered into one system call per turn.
	Nagle bool
	// KeepAlive turns on TCP keep-alive probes with this period (idle time
	// before the first probe and interval between probes); 0 leaves the
	// system default.
	KeepAlive time.Duration
	// RecvBuffer and SendBuffer set SO_RCVBUF and SO_SNDBUF in bytes; 0
	// leaves the system default.
	RecvBuffer, SendBuffer int
}

// validate reports a negative setting.
func (o SocketOptions) validate() error {
	if o.KeepAlive < 0 || o.RecvBuffer < 0 || o.SendBuffer < 0 {
		return fmt.Errorf("shard: negative socket option %+v", o)
	}
	return nil
}

// apply sets o on fd, a TCP socket if tcp. It reports the first failure;
// the connection works without the option, so callers may ignore it.
func (o SocketOptions) apply(fd int, tcp bool) error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	if tcp {
		keep(reactor.SetNoDelay(fd, !o.Nagle))
		if o.KeepAlive > 0 {
			keep(reactor.SetKeepAlive(fd, o.KeepAlive))
		}
	}
	if o.RecvBuffer > 0 {
		keep(reactor.SetRecvBuffer(fd, o.RecvBuffer))
	}
	if o.SendBuffer > 0 {
		keep(reactor.SetSendBuffer(fd, o.SendBuffer))
	}
	return first
}

// failed tells a dialled connection's waiter (the failed hook of Adopt)
// that its socket could not be opened, for err. Listeners that accept have
// no hook.
func (l *Listener) failed(err error) {
	if l.failedHook != nil {
		l.failedHook(err)
	}
}
