package actor

import (
	"errors"
	"time"

	"github.com/shoalrt/shoal/shard"
)

var (
	// ErrIdle is the Closed.Err of a connection closed by its listener's
	// idle timeout.
	ErrIdle = shard.ErrIdle
	// ErrSlowConsumer is the Closed.Err of a connection whose unwritten
	// output passed its limit.
	ErrSlowConsumer = shard.ErrSlowConsumer
	// ErrBackpressure is returned by writes dropped under DropWrites.
	ErrBackpressure = shard.ErrBackpressure
)

// ListenOption sets a per-connection limit of a listener.
type ListenOption func(*shard.Limits)

// MaxConns limits how many of the listener's connections may be open at
// once; further ones are closed as soon as they are accepted, after
// refusal (if not nil) is written to them. Listener.Refused counts them. A
// closing connection frees its place once its shard has closed it, a moment
// after the peer sees the close. Meaningless for Dial.
func MaxConns(n int, refusal []byte) ListenOption {
	return func(l *shard.Limits) { l.MaxConns, l.Refusal = n, refusal }
}

// IdleTimeout closes connections that send nothing for d, with ErrIdle.
func IdleTimeout(d time.Duration) ListenOption {
	return func(l *shard.Limits) { l.IdleTimeout = d }
}

// Overflow is what a connection does when its unwritten output passes the
// high-water mark.
type Overflow = shard.PressurePolicy

// Overflow policies.
const (
	// KeepWrites keeps every write and waits for the peer to drain, up to a
	// hard cap (4 × the mark unless MaxBuffered says otherwise), past which
	// the connection closes with ErrSlowConsumer.
	KeepWrites = shard.PolicyKeep
	// DropWrites refuses writes with ErrBackpressure while over the mark.
	DropWrites = shard.PolicyDrop
	// Disconnect closes the connection with ErrSlowConsumer.
	Disconnect = shard.PolicyDisconnect
)

// HighWater sets the unwritten-output mark of each connection: past it the
// actor receives Backpressure{High: true} and policy applies; once the
// output falls under half the mark it receives Backpressure{High: false}.
// A peer that stops reading never grows server memory past the limit.
func HighWater(bytes int, policy Overflow) ListenOption {
	return func(l *shard.Limits) { l.HighWater, l.Policy = bytes, policy }
}

// SocketOptions tune the sockets of a listener's connections (or of a
// Dial's): Nagle's algorithm (off by default), TCP keep-alive, and the
// kernel's receive and send buffer sizes. For a UDP listener they apply to
// its one socket.
type SocketOptions = shard.SocketOptions

// Socket sets the socket options of the listener's connections, or of a
// dialled connection. Negative values are refused by Listen and Dial.
func Socket(o SocketOptions) ListenOption {
	return func(l *shard.Limits) { l.Socket = o }
}

// CloseTimeout bounds every graceful close of the listener's connections
// (Close, Stop, an idle timeout): a peer that has not taken the last bytes
// written to it d after the close began is reset (TCP RST), and the actor's
// Closed.Err is ErrCloseTimeout, wrapping the close's own reason. The
// default is 5 s (shard.DefaultCloseTimeout). Slow consumers past their
// limit are reset at once, without waiting.
func CloseTimeout(d time.Duration) ListenOption {
	return func(l *shard.Limits) { l.CloseTimeout = d }
}

// checkLimits refuses negative limits.
func checkLimits(l *shard.Limits) error {
	if l.MaxConns < 0 || l.HighWater < 0 || l.MaxBuffered < 0 || l.IdleTimeout < 0 || l.CloseTimeout < 0 {
		return errors.New("negative limit")
	}
	return nil
}

// MaxBuffered sets the hard cap of unwritten output under KeepWrites.
func MaxBuffered(bytes int) ListenOption {
	return func(l *shard.Limits) { l.MaxBuffered = bytes }
}

// Backpressure tells a connection actor that its unwritten output passed
// the listener's high-water mark (High) or drained under half of it (!High).
type Backpressure struct {
	High     bool
	Buffered int
}
