package actor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/shard"
)

// Balance is the policy that picks a shard for each accepted connection.
type Balance uint8

// Load-balancing policies.
const (
	RoundRobin       Balance = iota // shards in turn (the default)
	LeastConnections                // the shard with the fewest connections
	SourceHash                      // by a hash of the peer's IP address, so one host keeps its shard
)

// balances maps each Balance to the event loop's.
var balances = [...]shard.Balance{
	RoundRobin:       shard.RoundRobin,
	LeastConnections: shard.LeastConnections,
	SourceHash:       shard.SourceHash,
}

// String returns the policy's name, as ParseBalance reads it.
func (b Balance) String() string {
	switch b {
	case RoundRobin:
		return "round-robin"
	case LeastConnections:
		return "least-conn"
	case SourceHash:
		return "source-hash"
	}
	return fmt.Sprintf("Balance(%d)", uint8(b))
}

// ParseBalance parses round-robin, least-conn or source-hash.
func ParseBalance(s string) (Balance, error) {
	for b := RoundRobin; b <= SourceHash; b++ {
		if s == b.String() {
			return b, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown load balancing %q (want round-robin, least-conn or source-hash)", ErrBadOption, s)
}

// ShardStats is a snapshot of one shard's counters. The fields are read one
// by one, so a snapshot of a running shard is not atomic as a whole, and
// per-message counts lag by at most one loop turn.
type ShardStats struct {
	Shard       int // the shard's index
	Connections int // open connections now
	Actors      int // spawned actors (without a connection) now
	InboxDepth  int // messages waiting in the shard's inbox now (approximate)

	Opened uint64 // connections opened (accepted or dialled)
	Closed uint64 // connections closed
	// OpenFailures counts accepted sockets the shard could not open and
	// closed at once (no free slot, a poller error); MaxConns refusals are
	// counted by Listener.Refused instead.
	OpenFailures uint64

	MessagesIn  uint64 // messages decoded from the wire
	MessagesOut uint64 // messages written to connections
	BytesIn     uint64 // bytes read
	BytesOut    uint64 // bytes written
	Delivered   uint64 // actor-to-actor messages delivered

	// DeadLetters counts messages that reached no actor: their target was
	// gone, or a send, publication or broadcast from this shard was dropped
	// for a full inbox. Messages to one actor (Send, Request) are handed to
	// OnDeadLetter; a dropped publication or broadcast is only counted.
	DeadLetters uint64
	// InboxFull counts sends to this shard's inbox, or from this shard's
	// actors, that failed with ErrInboxFull.
	InboxFull uint64
	// WritesDropped counts writes to connections that were not sent: refused
	// under DropWrites (ErrBackpressure), a datagram the socket had no room
	// for, or a Broadcast the connection's codec could not encode.
	WritesDropped uint64
	// CloseTimeouts counts connections reset because their peer did not
	// take their last bytes within the close timeout.
	CloseTimeouts uint64
	PollErrors    uint64 // poller failures (should stay 0)

	// TLSHandshakes counts TLS handshakes completed; TLSResumed those of
	// them that resumed an earlier session (a session ticket).
	TLSHandshakes, TLSResumed uint64
	// TLSFailures counts TLS connections closed by a TLS failure: a
	// handshake that failed or timed out (Closed.Err or the Dial's error
	// a *TLSError or ErrHandshakeTimeout), first bytes that were not TLS
	// (ErrNotTLS), a bad record, or a close before the handshake ended.
	TLSFailures uint64
	// TLSRunning is the TLS handshakes under way on this shard now;
	// TLSWaiting the TLS connections waiting for a place to start theirs
	// (TLSHandshakes' max).
	TLSRunning, TLSWaiting int
}

// Option configures a System.
type Option func(*config)

type config struct {
	shard.Config
	workers    int              // worker goroutines for Context.Go
	queue      int              // jobs that may wait for a worker
	onFailure  func(Failure)    // supervision hook
	onStarted  func(*System)    // after Start
	onStopping func(*System)    // at the beginning of Stop
	deadLetter func(DeadLetter) // dead-letter hook
	remote     Remote           // the cluster, if any
	balance    Balance          // LoadBalancing
	logger     *slog.Logger     // Logger
	tlsSet     bool             // TLSHandshakes was given
	groups     []GroupSettings  // Groups, checked
	exact      map[string]int   // index in groups of each exact pattern
	prefixes   []int            // indexes in groups of the prefix patterns, longest first
}

// Shards sets the number of shards (event loops); the default is 1. One per
// CPU is usual.
func Shards(n int) Option { return func(c *config) { c.Shards = n } }

// Node sets this process's node number in a cluster (0 to 1023); IDs carry it.
func Node(n int) Option { return func(c *config) { c.Node = n } }

// LoadBalancing sets how accepted connections are spread over shards.
func LoadBalancing(b Balance) Option { return func(c *config) { c.balance = b } }

// ReusePort gives every shard its own SO_REUSEPORT socket for each TCP
// listener, so the kernel spreads connections and no acceptor goroutine hands
// them over. Unix-socket listeners keep a single socket.
func ReusePort(on bool) Option { return func(c *config) { c.ReusePort = on } }

// InboxSize sets each shard's inbox ring size (a power of two, default 8192):
// how many messages from other goroutines can wait for a shard at once.
func InboxSize(n int) Option { return func(c *config) { c.InboxSize = n } }

// MaxRetry bounds how many sends to one other shard a shard keeps for retry
// while that shard's inbox is full (default 65536); past it sends fail at
// once with ErrInboxFull and the message is a dead letter. This is the
// explicit bound of every actor's mailbox.
func MaxRetry(n int) Option { return func(c *config) { c.MaxRetry = n } }

// DefaultSendWait is how long a send from outside the shards waits for room
// in a full inbox unless SendWait says otherwise.
const DefaultSendWait = time.Second

// SendWait sets how long System.Send, Publish and Broadcast, and a
// cluster's deliveries from other nodes, wait for room while the target
// shard's inbox is full (default DefaultSendWait), before they fail with
// ErrInboxFull. They spin briefly, then park without using a processor
// until the shard frees slots. 0 means fail after the spin. On a shard's
// goroutine they never wait: they fail after the spin.
func SendWait(d time.Duration) Option { return func(c *config) { c.SendWait = d } }

// ReadBufferSize sets each shard's read buffer (default 64 KiB).
func ReadBufferSize(n int) Option { return func(c *config) { c.ReadBufferSize = n } }

// Workers sets the worker pool behind Context.Go: n goroutines (default 16)
// and a queue of up to queue waiting jobs (default 1024) before Go fails with
// ErrBusy.
func Workers(n, queue int) Option {
	return func(c *config) { c.workers, c.queue = n, queue }
}

// OnFailure sets a hook that sees every panic in Receive, with its stack and
// what supervision did. It runs on the failing actor's shard goroutine and
// must not block.
func OnFailure(f func(Failure)) Option { return func(c *config) { c.onFailure = f } }

// OnStarted sets a hook called once the system runs (gnet's OnBoot).
func OnStarted(f func(*System)) Option { return func(c *config) { c.onStarted = f } }

// OnStopping sets a hook called when Stop begins, before anything closes
// (gnet's OnShutdown).
func OnStopping(f func(*System)) Option { return func(c *config) { c.onStopping = f } }

// OnDeadLetter sets a hook that sees every message whose target did not
// exist. It runs on the shard goroutine that found the target gone and must
// not block; to handle dead letters in an actor, Send them to it from here.
func OnDeadLetter(f func(DeadLetter)) Option { return func(c *config) { c.deadLetter = f } }

// DeadLetter is a message that could not be delivered: its target had
// stopped or closed, or its ID was stale. It is never delivered to anyone
// else.
type DeadLetter struct {
	To      ID
	From    ID
	Message any
}

// System is a set of shards, their listeners and actors.
type System struct {
	set     *shard.Set
	cfg     config
	workers *workers
	asks    asks // Asks waiting for other nodes

	nodes    nodeWatch  // the other nodes of the cluster and the actors watching them
	handlers []*handler // each shard's, by index; touched only on its shard but for Post

	store    GroupStore // the groups with settings' store, if there are settings
	watchers watchers   // actors watching groups' presence

	dials      sync.WaitGroup     // Context.Dial goroutines in flight
	dialCtx    context.Context    // their context, cancelled by Stop
	dialCancel context.CancelFunc //
}

// Listener is one address a system listens on.
type Listener struct {
	l   *shard.Listener
	sys *System
}

// Addr returns the bound address (with the port chosen, for port 0).
func (l *Listener) Addr() net.Addr { return l.l.Addr() }

// Accepted returns how many connections the listener has accepted.
func (l *Listener) Accepted() uint64 { return l.l.Accepted() }

// AcceptErrors returns how many times accepting failed for lack of
// descriptors or memory and the listener backed off before retrying.
func (l *Listener) AcceptErrors() uint64 { return l.l.AcceptErrors() }

// Open returns how many of the listener's connections are open now.
func (l *Listener) Open() int { return l.l.Open() }

// Refused returns how many connections were closed at once because MaxConns
// were already open.
func (l *Listener) Refused() uint64 { return l.l.Refused() }

// check refuses option values the system cannot use, each with an error
// wrapping ErrBadOption: the one place a System's options are validated.
func (c *config) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadOption}, args...)...)
	}
	switch {
	case c.Shards < 0 || c.Shards > MaxShards:
		return bad("Shards(%d): want 1 to %d", c.Shards, MaxShards)
	case c.Node < 0 || c.Node > MaxNode:
		return bad("Node(%d): want 0 to %d", c.Node, MaxNode)
	case c.InboxSize < 0 || c.InboxSize&(c.InboxSize-1) != 0:
		return bad("InboxSize(%d): want a power of two", c.InboxSize)
	case c.MaxRetry < 0:
		return bad("MaxRetry(%d): negative", c.MaxRetry)
	case c.ReadBufferSize < 0 || (c.ReadBufferSize > 0 && c.ReadBufferSize < 512):
		return bad("ReadBufferSize(%d): want at least 512 bytes", c.ReadBufferSize)
	case c.SendWait < 0:
		return bad("SendWait(%v): negative", c.SendWait)
	case c.balance > SourceHash:
		return bad("LoadBalancing(%d): unknown policy", c.balance)
	case c.tlsSet && (c.TLSWorkers <= 0 || c.MaxHandshakes <= 0):
		return bad("TLSHandshakes(%d, %d): want at least one worker and one handshake", c.TLSWorkers, c.MaxHandshakes)
	case c.workers <= 0 || c.queue < 0:
		return bad("Workers(%d, %d): want at least one worker and a queue of zero or more", c.workers, c.queue)
	}
	return c.checkGroups()
}

// Close stops the listener accepting, without stopping the system: its
// sockets are closed, so new connections to its address are refused by the
// kernel (a Unix socket's file is removed), while the connections it
// accepted before go on until they close by themselves (Shutdown closes
// them too). A UDP listener's peers have no socket left: they are closed,
// their actors told ErrListenerClosed. A second Close returns
// ErrListenerClosed, unless the first failed (a shard's inbox was full:
// ErrInboxFull), in which case it tries again. Safe from any goroutine,
// Receive included; it does not wait.
func (l *Listener) Close() error {
	err := userErr(l.sys.set.CloseListener(l.l, nil))
	if err == nil {
		l.sys.log().Info("listener closed", "addr", l.l.Addr().String())
	}
	return err
}

// Shutdown closes the listener like Close, then closes each of its
// connections gracefully (what was written is flushed first; a peer that
// does not take it within the listener's CloseTimeout is reset), their
// actors told Closed{Err: ErrListenerClosed}, and waits until all of them
// are closed or ctx ends (then it returns ctx's error; the closes go on).
// The rest of the system runs on. It may follow a Close; a second Shutdown
// waits like the first. It waits for the shards, so on a shard's goroutine
// it returns ErrOnShard at once (use Close there).
func (l *Listener) Shutdown(ctx context.Context) error {
	if shard.OnShard() {
		return ErrOnShard
	}
	err := l.sys.set.CloseListener(l.l, shard.ErrListenerClosed)
	if err != nil && err != shard.ErrListenerClosed {
		return userErr(err)
	}
	if err == nil {
		l.sys.log().Info("listener shutting down", "addr", l.l.Addr().String(), "open", l.l.Open())
	}
	select {
	case <-l.l.Drained():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewSystem creates a system's shards. Nothing runs until Start.
func NewSystem(opts ...Option) (*System, error) {
	s := &System{nodes: newNodeWatch()}
	cfg := config{workers: 16, queue: 1024}
	cfg.SendWait = DefaultSendWait
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.Balance = balances[cfg.balance]
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	cfg.Logger = cfg.logger // the event loop's accept errors, back-offs and poller errors
	cfg.NewHandler = func(sh *shard.Shard) shard.Handler {
		h := &handler{sys: s, sh: sh, pending: make(map[RequestID]pendingRequest), pendingBy: make(map[ID]int)}
		s.handlers = append(s.handlers, h) // shards are made in order: index sh.Index()
		h.ctx.sys, h.ctx.sh, h.ctx.h = s, sh, h
		return h
	}
	if r := cfg.remote; r != nil {
		cfg.OnGroup = r.Interest
	}
	switch gs, ok := cfg.remote.(GroupStorer); {
	case ok:
		s.store = gs.GroupStore()
	case cfg.remote == nil:
		s.store = newMemStore()
	case len(cfg.groups) > 0:
		return nil, fmt.Errorf("%w: Groups: the cluster (%T) keeps no groups: it does not implement GroupStorer", ErrBadOption, cfg.remote)
	}
	s.cfg = cfg
	s.dialCtx, s.dialCancel = context.WithCancel(context.Background())
	s.workers = &workers{sys: s, jobs: make(chan job, cfg.queue), size: cfg.workers}
	g, err := shard.NewSet(cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("actor: new system: %w", userErr(err))
	}
	s.set = g
	return s, nil
}

// Listen binds addr ("tcp://host:port", "tcp4://", "tcp6://",
// "unix:///path", "udp://host:port", "udp4://", "udp6://", or a bare
// "host:port" for TCP; "tls://host:port" for any codec over TLS and
// "wss://host:port" for a WebSocket codec over TLS, both with the TLS
// option) and, once the system runs, makes an actor with f for every
// accepted connection (for UDP: every remote address, whose datagrams are
// its messages). c frames and encodes its messages. Several listeners may
// serve one system, each with its own codec and factory, added before or
// after Start. Safe from any goroutine.
func (s *System) Listen(addr string, c codec.Codec, f Factory, opts ...ConnOption) (*Listener, error) {
	if f == nil {
		return nil, fmt.Errorf("actor: listen %s: %w", addr, ErrNilFactory)
	}
	if c == nil {
		return nil, fmt.Errorf("actor: listen %s: %w: nil codec", addr, ErrBadOption)
	}
	network, address, secure, err := listenAddress(addr, c)
	if err != nil {
		return nil, err
	}
	cc, err := newConnConfig(opts, true)
	if err != nil {
		return nil, fmt.Errorf("actor: listen %s: %w", addr, err)
	}
	switch {
	case secure && cc.tls == nil:
		return nil, fmt.Errorf("actor: listen %s: %w: a TLS address needs the TLS option with a *tls.Config", addr, ErrBadOption)
	case !secure && cc.tls != nil:
		return nil, fmt.Errorf("actor: listen %s: %w: the TLS option needs a tls:// or wss:// address", addr, ErrBadOption)
	}
	lim := cc.limits()
	lim.TLS = cc.tls
	l, err := s.set.Listen(network, address, c, f, lim)
	if err == shard.ErrListenerClosed { // the set stops or has stopped
		return nil, ErrStopped
	}
	if err != nil {
		return nil, userErr(err)
	}
	s.log().Info("listening", "addr", l.Addr().String(), "network", network)
	return &Listener{l: l, sys: s}, nil
}

// Start runs the shards, the worker pool, and starts accepting on every
// listener.
func (s *System) Start() error {
	if err := s.set.Start(); err != nil {
		return userErr(err)
	}
	if r := s.cfg.remote; r != nil {
		if err := r.Start(&Local{sys: s}); err != nil {
			s.set.Stop(context.Background())
			return fmt.Errorf("actor: joining the cluster: %w", err)
		}
	}
	if s.store != nil {
		if err := s.store.Start(sink{s}); err != nil {
			if r := s.cfg.remote; r != nil {
				r.Stop(context.Background())
			}
			s.set.Stop(context.Background())
			return fmt.Errorf("actor: starting the group store: %w", err)
		}
	}
	s.workers.start()
	if s.cfg.onStarted != nil {
		s.cfg.onStarted(s)
	}
	return nil
}

// Stop stops gracefully: no new connections; every shard delivers what its
// inbox holds, flushes what its connections wrote, then closes them (their
// actors get Closed{Err: ErrShutdown}; a peer that does not take its last
// bytes within its listener's CloseTimeout is reset, with ErrCloseTimeout
// wrapping ErrShutdown). If ctx ends first, what remains is reset at once
// and Stop returns ctx's error, without waiting more than a second
// for a shard busy in an actor's Receive. Otherwise, when
// Stop returns, the system's goroutines and descriptors are all gone.
//
// Stop waits for the shards, so called on a shard's goroutine (from
// Receive or a hook) it returns ErrOnShard at once, doing nothing; to stop
// the system from an actor, call it on a goroutine of its own.
func (s *System) Stop(ctx context.Context) error {
	if shard.OnShard() {
		return ErrOnShard
	}
	running := s.set.Running()
	if s.cfg.onStopping != nil && running {
		s.cfg.onStopping(s)
	}
	var rerr error
	if s.store != nil && running {
		rerr = s.store.Stop(ctx) // every answer it owed is on its way
	}
	if r := s.cfg.remote; r != nil && running {
		rerr = first(rerr, r.Stop(ctx)) // nothing more comes in from other nodes
	}
	s.dialCancel() // dials in flight end; their Dialed become dead letters
	err := userErr(s.set.Stop(ctx))
	if errors.Is(err, ErrStopped) {
		return err
	}
	if err == nil {
		err = rerr
	}
	done := make(chan struct{})
	go func() {
		s.workers.stop()
		s.dials.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err() // a worker is still blocked in user code
		}
	}
	return err
}

// Send sends msg to the actor with ID to from outside any actor. Safe from
// any goroutine; inside Receive use Context.Send, which never waits. While
// the target's shard inbox is full Send spins briefly, then parks until the
// shard frees room, for at most SendWait (default one second), and then
// returns ErrInboxFull. On a shard's goroutine it never parks: it returns
// ErrInboxFull after the spin.
func (s *System) Send(to ID, msg any) error {
	if to == 0 {
		return ErrZeroID
	}
	err := s.set.Send(uint64(to), 0, msg)
	if err == shard.ErrRemoteNode {
		return s.remoteSend(&Envelope{Kind: KindMessage, Node: to.Node(), To: to, Msg: msg})
	}
	return userErr(err)
}

// Stats returns a snapshot of every shard's counters.
func (s *System) Stats() []ShardStats {
	out := make([]ShardStats, 0, len(s.set.Shards()))
	for _, sh := range s.set.Shards() {
		st := sh.Stats()
		out = append(out, ShardStats{
			Shard:         st.Shard,
			Connections:   st.Connections,
			Actors:        st.Actors,
			InboxDepth:    st.InboxDepth,
			Opened:        st.Opened,
			Closed:        st.Closed,
			OpenFailures:  st.OpenFailures,
			MessagesIn:    st.MessagesIn,
			MessagesOut:   st.MessagesOut,
			BytesIn:       st.BytesIn,
			BytesOut:      st.BytesOut,
			Delivered:     st.Delivered,
			DeadLetters:   st.DeadLetters,
			InboxFull:     st.InboxFull,
			WritesDropped: st.WritesDropped,
			CloseTimeouts: st.CloseTimeouts,
			PollErrors:    st.PollErrors,
			TLSHandshakes: st.TLSHandshakes,
			TLSResumed:    st.TLSResumed,
			TLSFailures:   st.TLSFailures,
			TLSRunning:    st.TLSRunning,
			TLSWaiting:    st.TLSWaiting,
		})
	}
	return out
}

// Cluster attaches the system to a cluster: sends, requests and asks to IDs
// of other nodes, and publications and broadcasts to groups with members on
// other nodes, travel through r (see package cluster, which implements it
// over NATS). Give every system of a cluster its own Node number.
func Cluster(r Remote) Option { return func(c *config) { c.remote = r } }
