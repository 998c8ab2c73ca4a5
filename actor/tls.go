package actor

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/shard"
)

// TLS runs the connections of a listener, or a dialled connection, over TLS
// with Go's crypto/tls and cfg: required for a "tls://" or "wss://" Listen
// (cfg holds the certificates: Certificates, or GetCertificate for SNI and
// for reloading certificates without a restart; NextProtos for ALPN;
// ClientAuth and ClientCAs for mutual TLS), optional for a "tls://" or
// "wss://" Dial (nil means the system's roots; an empty ServerName is the
// dialled host's name). cfg must not be modified after the call; it may be
// shared by several listeners. Its callbacks (GetCertificate,
// GetConfigForClient, VerifyPeerCertificate, ...) run on the handshake's
// goroutine, never on a shard; a panic in one fails that handshake only,
// and System.Stop does not wait past its context for one that blocks. A
// Dial never renegotiates (TLS 1.2): Renegotiation is set to
// RenegotiateNever.
//
// A TLS connection's actor sees the same lifecycle as on plain TCP, once
// the handshake is done: Opened (whose TLS field holds the negotiated
// state), its messages, Closed. The handshake runs off the shard (see
// TLSHandshakes) and is bounded by TLSHandshakeTimeout; records are
// decrypted and sealed on the connection's shard. A connection that fails
// before its handshake is done never reaches an actor; it is counted in
// ShardStats.TLSFailures (a Dial returns its error). Session tickets are
// crypto/tls's default (on); see the cluster documentation for sharing
// ticket keys between nodes.
func TLS(cfg *tls.Config) ConnOption {
	return func(c *connConfig) { c.tls, c.set = cfg, c.set|optTLS }
}

// TLSHandshakeTimeout bounds a TLS handshake, from the connection's
// accept (or connect) to its end; past it the connection closes with
// ErrHandshakeTimeout (a Dial fails with it). The default is
// DefaultTLSHandshakeTimeout. A WebSocket upgrade over TLS (wss://) is
// bounded by the codec's own handshake timeout after this one.
func TLSHandshakeTimeout(d time.Duration) ConnOption {
	return func(c *connConfig) { c.tlsTimeout, c.set = d, c.set|optTLSTimeout }
}

// DefaultTLSHandshakeTimeout is the TLSHandshakeTimeout of a connection
// that sets none.
const DefaultTLSHandshakeTimeout = 10 * time.Second

// TLSHandshakes bounds the system's TLS handshakes. crypto/tls cannot
// resume a handshake that would block, so each handshake runs on a
// goroutine of its own while it is under way; workers is how many may
// compute at once (a handshake waiting for its peer's next message holds
// no place; default GOMAXPROCS), max how many may be under way at once
// (default 1024), split evenly over the shards (each shard runs up to
// max/Shards, rounded up, at least one). A TLS connection past max waits on its shard, costing no
// goroutine, until a place frees or its handshake timeout ends; a server
// connection starts only once its whole ClientHello has arrived, so a peer
// that sends nothing, or trickles, never holds a place.
func TLSHandshakes(workers, max int) Option {
	return func(c *config) { c.TLSWorkers, c.MaxHandshakes, c.tlsSet = workers, max, true }
}

// listenAddress splits a Listen address into the network and address to
// bind, and whether its connections run TLS.
func listenAddress(addr string, c codec.Codec) (network, address string, secure bool, err error) {
	_, isStream := c.(codec.StreamCodec)
	for _, scheme := range [...]string{"tls://", "wss://"} {
		rest, ok := strings.CutPrefix(addr, scheme)
		if !ok {
			continue
		}
		if scheme == "wss://" {
			if !isStream {
				return "", "", false, fmt.Errorf("%w: %q: a wss:// address needs a WebSocket codec, not %T", ErrBadAddress, addr, c)
			}
			rest = strings.TrimSuffix(rest, "/")
		}
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return "", "", false, fmt.Errorf("%w: %q (want %shost:port)", ErrBadAddress, addr, scheme)
		}
		return "tcp", rest, true, nil
	}
	network, address, err = shard.ParseAddress(addr)
	if err != nil {
		return "", "", false, fmt.Errorf("%w: %q (want tcp://host:port, tls://host:port, wss://host:port, unix:///path, udp://host:port or host:port)", ErrBadAddress, addr)
	}
	return network, address, false, nil
}

// clientTLS is the configuration of a TLS dial to host: cfg (or the
// defaults) with ServerName set to host if it names none.
func clientTLS(cfg *tls.Config, host string) *tls.Config {
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	// A renegotiation runs a handshake inside Read, on the shard, where a
	// handshake cannot wait for its peer: refused (crypto/tls answers a
	// server's HelloRequest with a no_renegotiation alert).
	cfg.Renegotiation = tls.RenegotiateNever
	return cfg
}
