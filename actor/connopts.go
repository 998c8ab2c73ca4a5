package actor

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/shoalrt/shoal/shard"
)

// ConnOption configures the connections of a listener (System.Listen) or a
// dialled connection (System.Dial, Context.Dial). All options are checked
// in one place when Listen or Dial is called: a negative value, or an option
// that applies only to the other of the two (MaxConns to Dial, DialTimeout
// to Listen), is refused with an error wrapping ErrBadOption, and nothing is
// opened.
type ConnOption func(*connConfig)

// connConfig is what the options of one Listen or Dial say.
type connConfig struct {
	maxConns     int
	refusal      []byte
	idle         time.Duration
	highWater    int
	policy       WritePolicy
	maxBuffered  int
	closeTimeout time.Duration
	socket       SocketOptions
	dialTimeout  time.Duration
	tls          *tls.Config
	tlsTimeout   time.Duration

	set uint16 // which options were given (optMaxConns, ...), for the checks
}

const (
	optMaxConns = 1 << iota
	optDialTimeout
	optTLS
	optTLSTimeout
)

// DefaultDialTimeout is how long Dial waits for a connection unless
// DialTimeout says otherwise.
const DefaultDialTimeout = 10 * time.Second

// newConnConfig applies opts and checks them, for a listener (listen) or a
// dial. It is the one place options are validated.
func newConnConfig(opts []ConnOption, listen bool) (connConfig, error) {
	c := connConfig{dialTimeout: DefaultDialTimeout}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	bad := func(format string, args ...any) (connConfig, error) {
		return connConfig{}, fmt.Errorf("%w: "+format, append([]any{ErrBadOption}, args...)...)
	}
	switch {
	case c.maxConns < 0:
		return bad("MaxConns(%d) is negative", c.maxConns)
	case c.idle < 0:
		return bad("IdleTimeout(%v) is negative", c.idle)
	case c.highWater < 0:
		return bad("HighWater(%d) is negative", c.highWater)
	case c.policy > Disconnect:
		return bad("HighWater: unknown WritePolicy %d", c.policy)
	case c.maxBuffered < 0:
		return bad("MaxBuffered(%d) is negative", c.maxBuffered)
	case c.closeTimeout < 0:
		return bad("CloseTimeout(%v) is negative", c.closeTimeout)
	case c.tlsTimeout < 0:
		return bad("TLSHandshakeTimeout(%v) is negative", c.tlsTimeout)
	case listen && c.set&optTLS != 0 && c.tls == nil:
		return bad("TLS(nil): a TLS listener needs a *tls.Config with its certificates")
	case c.dialTimeout <= 0:
		return bad("DialTimeout(%v) is not positive", c.dialTimeout)
	case c.socket.KeepAlive < 0 || c.socket.RecvBuffer < 0 || c.socket.SendBuffer < 0:
		return bad("Socket(%+v) has a negative value", c.socket)
	case !listen && c.set&optMaxConns != 0:
		return bad("MaxConns applies to Listen, not Dial")
	case listen && c.set&optDialTimeout != 0:
		return bad("DialTimeout applies to Dial, not Listen")
	}
	return c, nil
}

// limits is c in the event loop's terms.
func (c *connConfig) limits() shard.Limits {
	return shard.Limits{
		MaxConns:         c.maxConns,
		Refusal:          c.refusal,
		IdleTimeout:      c.idle,
		HighWater:        c.highWater,
		Policy:           writePolicies[c.policy],
		MaxBuffered:      c.maxBuffered,
		CloseTimeout:     c.closeTimeout,
		HandshakeTimeout: c.tlsTimeout,
		Socket: shard.SocketOptions{
			Nagle:      c.socket.Nagle,
			KeepAlive:  c.socket.KeepAlive,
			RecvBuffer: c.socket.RecvBuffer,
			SendBuffer: c.socket.SendBuffer,
		},
	}
}

// writePolicies maps each WritePolicy to the event loop's.
var writePolicies = [...]shard.WritePolicy{
	KeepWrites: shard.KeepWrites,
	DropWrites: shard.DropWrites,
	Disconnect: shard.Disconnect,
}

// MaxConns limits how many of the listener's connections may be open at
// once; further ones are closed as soon as they are accepted, after
// refusal (if not nil) is written to them (not on a tls:// or wss://
// listener, whose clients expect a TLS handshake: they are closed at once). Listener.Refused counts them. A
// closing connection frees its place once its shard has closed it, a moment
// after the peer sees the close. Listen only.
func MaxConns(n int, refusal []byte) ConnOption {
	return func(c *connConfig) { c.maxConns, c.refusal, c.set = n, refusal, c.set|optMaxConns }
}

// IdleTimeout closes connections that send nothing for d, with ErrIdle.
// The check runs a few times per period, so the close may come up to a
// quarter of d late.
func IdleTimeout(d time.Duration) ConnOption {
	return func(c *connConfig) { c.idle = d }
}

// WritePolicy is what a connection does when its unwritten output passes
// the high-water mark (HighWater).
type WritePolicy uint8

// Write policies.
const (
	// KeepWrites keeps every write and waits for the peer to drain, up to a
	// hard cap (4 × the mark unless MaxBuffered says otherwise), past which
	// the connection closes with ErrSlowConsumer.
	KeepWrites WritePolicy = iota
	// DropWrites refuses writes with ErrBackpressure while over the mark.
	DropWrites
	// Disconnect closes the connection with ErrSlowConsumer.
	Disconnect
)

// String names the policy.
func (p WritePolicy) String() string {
	switch p {
	case KeepWrites:
		return "keep"
	case DropWrites:
		return "drop"
	case Disconnect:
		return "disconnect"
	}
	return fmt.Sprintf("WritePolicy(%d)", uint8(p))
}

// HighWater sets the unwritten-output mark of each connection: past it the
// actor receives Backpressure{High: true} and policy applies; once the
// output falls under half the mark it receives Backpressure{High: false}.
// A peer that stops reading never grows server memory past the limit.
func HighWater(bytes int, policy WritePolicy) ConnOption {
	return func(c *connConfig) { c.highWater, c.policy = bytes, policy }
}

// MaxBuffered sets the hard cap of unwritten output under KeepWrites.
func MaxBuffered(bytes int) ConnOption {
	return func(c *connConfig) { c.maxBuffered = bytes }
}

// SocketOptions tune the sockets of a listener's connections (or of a
// Dial's). For a UDP listener they apply to its one socket. The zero value
// leaves every setting at Shoal's default.
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

// Socket sets the socket options of the listener's connections, or of a
// dialled connection.
func Socket(o SocketOptions) ConnOption {
	return func(c *connConfig) { c.socket = o }
}

// CloseTimeout bounds every graceful close of the listener's connections
// (Close, Stop, an idle timeout): a peer that has not taken the last bytes
// written to it d after the close began is reset (TCP RST), and the actor's
// Closed.Err is ErrCloseTimeout, wrapping the close's own reason. The
// default is DefaultCloseTimeout. Slow consumers past their limit are reset
// at once, without waiting.
func CloseTimeout(d time.Duration) ConnOption {
	return func(c *connConfig) { c.closeTimeout = d }
}

// DefaultCloseTimeout is the CloseTimeout of a listener that sets none.
const DefaultCloseTimeout = 5 * time.Second

// DialTimeout bounds how long a Dial waits for its connection to be made
// (default DefaultDialTimeout); a WebSocket upgrade after it is bounded by
// the codec's handshake timeout. Dial only.
func DialTimeout(d time.Duration) ConnOption {
	return func(c *connConfig) { c.dialTimeout, c.set = d, c.set|optDialTimeout }
}

// Backpressure tells a connection actor that its unwritten output passed
// the listener's high-water mark (High) or drained under half of it (!High).
type Backpressure struct {
	High     bool
	Buffered int // bytes written and not yet taken by the socket
}
