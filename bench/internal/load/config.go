package load

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// headerSize is the sequence number at the front of every message.
const headerSize = 8

// Protocols a Config may ask for.
const (
	// ProtoTCP sends each message as raw bytes on the TCP connection.
	ProtoTCP = "tcp"
	// ProtoWS upgrades each connection with a WebSocket handshake, then sends
	// each message as one masked binary frame and expects it back as one
	// unmasked binary frame.
	ProtoWS = "ws"
	// ProtoTLS runs a TLS client handshake (crypto/tls) on each connection,
	// then sends each message as raw bytes over TLS: one record per write.
	ProtoTLS = "tls"
)

// Config describes one load run. The zero value is not runnable: Addr, Conns
// and Size must be set; the rest have defaults (see withDefaults).
type Config struct {
	// Addr is the server's TCP address; its host must be a loopback IP.
	Addr string
	// Conns is the number of connections to open.
	Conns int
	// Size is the message size in bytes, at least 8 (the sequence header).
	Size int
	// Proto is ProtoTCP (the default, also ""), ProtoWS or ProtoTLS. Run and
	// RunIdle speak any; RunRoom speaks ProtoTCP only; RunHandshakes
	// ProtoTLS only.
	Proto string
	// TLS is the client configuration of ProtoTLS connections (see
	// tlscert.ClientConfig); nil skips verifying the server's certificate.
	// Run and RunIdle use it as it is (with its session cache, if any);
	// RunHandshakes sets the session cache itself, from Resume.
	TLS *tls.Config
	// Resume makes RunHandshakes keep a client session cache, so that every
	// connection after a worker's first resumes a session from a ticket;
	// without it every handshake is full and the client asks for no ticket.
	Resume bool
	// Depth is the number of messages kept in flight per connection:
	// 1 is ping-pong (write, read the echo, repeat); more is pipelined.
	Depth int
	// Warmup is how long the connections run before the measured window.
	Warmup time.Duration
	// Duration is the length of the measured window.
	Duration time.Duration
	// Sources are the local addresses to dial from, used in turn; empty lets
	// the kernel choose. Spreading over several loopback addresses escapes the
	// ephemeral-port limit of one source address. All must be loopback.
	Sources []netip.Addr
	// ServerPID, if > 0, is the server's process ID: its CPU time is sampled
	// at the edges of the measured window and its RSS before and after RunIdle
	// opens its connections.
	ServerPID int
	// DialConcurrency bounds the dials in progress at once (default 64), which
	// keeps the server's accept backlog from overflowing.
	DialConcurrency int
	// DialTimeout bounds each dial (default 5 s).
	DialTimeout time.Duration
	// Grace is how long after the window a connection that is stuck in I/O is
	// waited for before its deadline fires and it is abandoned (default 5 s).
	Grace time.Duration
	// Settle is how long RunIdle waits after the last echo before reading the
	// server's RSS (default 500 ms).
	Settle time.Duration

	// Senders is the number of connections that send lines in RunRoom
	// (connections 0 to Senders-1); every connection receives. RunRoom needs
	// 1 <= Senders <= Conns; Run and RunIdle ignore it.
	Senders int
	// Ahead bounds, in RunRoom, how many of its own lines a sender may have
	// sent and not yet received back from the room (default 8).
	Ahead int
	// Verify is the number of non-sending members whose every line RunRoom
	// parses and checks (format, sender, order); the senders are always
	// checked, the rest only counted (default 16).
	Verify int
}

// withDefaults returns c with zero optional fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Depth <= 0 {
		c.Depth = 1
	}
	if c.Proto == "" {
		c.Proto = ProtoTCP
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 64
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.Grace <= 0 {
		c.Grace = 5 * time.Second
	}
	if c.Settle <= 0 {
		c.Settle = 500 * time.Millisecond
	}
	if c.Ahead <= 0 {
		c.Ahead = 8
	}
	if c.Verify <= 0 {
		c.Verify = 16
	}
	return c
}

// validate reports why c cannot be run, or nil.
func (c Config) validate() error {
	switch {
	case c.Conns <= 0:
		return fmt.Errorf("%w: Conns = %d, want > 0", ErrBadConfig, c.Conns)
	case c.Size < headerSize:
		return fmt.Errorf("%w: Size = %d, want >= %d", ErrBadConfig, c.Size, headerSize)
	case c.Warmup < 0 || c.Duration < 0:
		return fmt.Errorf("%w: negative Warmup or Duration", ErrBadConfig)
	case c.Proto != ProtoTCP && c.Proto != ProtoWS && c.Proto != ProtoTLS:
		return fmt.Errorf("%w: Proto = %q, want %q, %q or %q", ErrBadConfig, c.Proto, ProtoTCP, ProtoWS, ProtoTLS)
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("%w: Addr %q: %v", ErrBadConfig, c.Addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if host == "localhost" {
		ip, err = netip.MustParseAddr("127.0.0.1"), nil
	}
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: server %q", ErrNotLoopback, c.Addr)
	}
	for _, s := range c.Sources {
		if !s.IsLoopback() {
			return fmt.Errorf("%w: source %s", ErrNotLoopback, s)
		}
	}
	return nil
}

// validateRoom is validate plus what RunRoom needs.
func (c Config) validateRoom() error {
	switch {
	case c.Senders < 1 || c.Senders > c.Conns || c.Senders > maxSenders:
		return fmt.Errorf("%w: Senders = %d, want 1..min(Conns, %d)", ErrBadConfig, c.Senders, maxSenders)
	case c.Size < minLineSize:
		return fmt.Errorf("%w: Size = %d, want >= %d for a room line", ErrBadConfig, c.Size, minLineSize)
	case c.Proto != ProtoTCP:
		return fmt.Errorf("%w: RunRoom speaks %q only", ErrBadConfig, ProtoTCP)
	}
	return c.validate()
}

// tlsConfig returns the client configuration of ProtoTLS connections:
// c.TLS, or one that skips verification if it is nil.
func (c Config) tlsConfig() *tls.Config {
	if c.TLS != nil {
		return c.TLS
	}
	return &tls.Config{InsecureSkipVerify: true}
}
