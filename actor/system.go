package actor

import (
	"context"
	"fmt"
	"net"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/shard"
)

// Balance is the policy that picks a shard for each accepted connection.
type Balance = shard.Balance

// Load-balancing policies.
const (
	RoundRobin       = shard.RoundRobin       // shards in turn (the default)
	LeastConnections = shard.LeastConnections // the shard with the fewest connections
	SourceHash       = shard.SourceHash       // by a hash of the peer's IP address
)

// ParseBalance parses round-robin, least-conn or source-hash.
func ParseBalance(s string) (Balance, error) { return shard.ParseBalance(s) }

// ShardStats is a snapshot of one shard's counters.
type ShardStats = shard.Stats

// Option configures a System.
type Option func(*shard.Config)

// Shards sets the number of shards (event loops); the default is 1. One per
// CPU is usual.
func Shards(n int) Option { return func(c *shard.Config) { c.Shards = n } }

// Node sets this process's node number in a cluster (0 to 1023); IDs carry it.
func Node(n int) Option { return func(c *shard.Config) { c.Node = n } }

// LoadBalancing sets how accepted connections are spread over shards.
func LoadBalancing(b Balance) Option { return func(c *shard.Config) { c.Balance = b } }

// ReusePort gives every shard its own SO_REUSEPORT socket for each TCP
// listener, so the kernel spreads connections and no acceptor goroutine hands
// them over. Unix-socket listeners keep a single socket.
func ReusePort(on bool) Option { return func(c *shard.Config) { c.ReusePort = on } }

// InboxSize sets each shard's inbox ring size (a power of two, default 8192):
// how many messages from other goroutines can wait for a shard at once.
func InboxSize(n int) Option { return func(c *shard.Config) { c.InboxSize = n } }

// ReadBufferSize sets each shard's read buffer (default 64 KiB).
func ReadBufferSize(n int) Option { return func(c *shard.Config) { c.ReadBufferSize = n } }

// System is a set of shards, their listeners and actors.
type System struct {
	g *shard.Group
}

// Listener is one address a system listens on.
type Listener struct {
	l *shard.Listener
}

// Addr returns the bound address (with the port chosen, for port 0).
func (l *Listener) Addr() net.Addr { return l.l.Addr() }

// Accepted returns how many connections the listener has accepted.
func (l *Listener) Accepted() uint64 { return l.l.Accepted() }

// AcceptErrors returns how many times accepting failed for lack of
// descriptors or memory and the listener backed off before retrying.
func (l *Listener) AcceptErrors() uint64 { return l.l.AcceptErrors() }

// NewSystem creates a system's shards. Nothing runs until Start.
func NewSystem(opts ...Option) (*System, error) {
	s := &System{}
	cfg := shard.Config{}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.NewHandler = func(sh *shard.Shard) shard.Handler {
		h := &handler{sys: s, sh: sh}
		h.ctx.sys, h.ctx.sh = s, sh
		return h
	}
	g, err := shard.NewGroup(cfg)
	if err != nil {
		return nil, err
	}
	s.g = g
	return s, nil
}

// Listen binds addr ("tcp://host:port", "tcp4://", "tcp6://",
// "unix:///path", or a bare "host:port" for TCP) and, once the system runs,
// makes an actor with f for every accepted connection. c frames and encodes
// its messages. Several listeners may serve one system, each with its own
// codec and factory, added before or after Start. Safe from any goroutine.
func (s *System) Listen(addr string, c codec.Codec, f Factory) (*Listener, error) {
	if f == nil {
		return nil, fmt.Errorf("actor: listen %s: %w", addr, ErrNilFactory)
	}
	network, address, err := shard.ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	l, err := s.g.Listen(network, address, c, f)
	if err != nil {
		return nil, err
	}
	return &Listener{l: l}, nil
}

// Start runs the shards and starts accepting on every listener.
func (s *System) Start() error { return s.g.Start() }

// Stop stops gracefully: no new connections; every shard delivers what its
// inbox holds, flushes what its connections wrote, then closes them (their
// actors get Closed{Err: ErrShutdown}). If ctx ends first, what remains is
// closed at once and Stop returns ctx's error. When Stop returns, the
// system's goroutines and descriptors are all gone.
func (s *System) Stop(ctx context.Context) error { return s.g.Stop(ctx) }

// Send sends msg to the actor with ID to from outside any actor. Safe from any
// goroutine (do not call it from Receive; use Context.Send there). While the
// target's shard inbox is full it yields and retries a bounded number of
// times, then returns ErrMailboxFull.
func (s *System) Send(to ID, msg any) error {
	if to == 0 {
		return ErrZeroID
	}
	return s.g.Send(uint64(to), 0, msg)
}

// Stats returns a snapshot of every shard's counters.
func (s *System) Stats() []ShardStats {
	out := make([]ShardStats, 0, len(s.g.Shards()))
	for _, sh := range s.g.Shards() {
		out = append(out, sh.Stats())
	}
	return out
}
