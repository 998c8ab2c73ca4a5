package shard

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/mailbox"
	"github.com/shoalrt/shoal/reactor"
)

// Config describes a set of shards.
type Config struct {
	// Shards is the number of event loops; 0 means 1.
	Shards int
	// Node is this process's node number in a cluster (0..MaxNode).
	Node int
	// Balance picks a shard for each accepted connection.
	Balance Balance
	// ReusePort gives every shard its own SO_REUSEPORT socket per TCP or
	// UDP listener and lets the kernel balance; the acceptor goroutine then
	// accepts only on Unix sockets. (A set of one shard always accepts on
	// its shard, without the acceptor.)
	ReusePort bool
	// InboxSize is each shard's inbox ring size (a power of two); 0 means 8192.
	InboxSize int
	// MaxRetry bounds the sends a shard keeps for retry per target shard when
	// that shard's inbox is full; past it sends become dead letters and fail
	// with ErrInboxFull. 0 means 65536.
	MaxRetry int
	// ReadBufferSize is each shard's read buffer; 0 means 64 KiB.
	ReadBufferSize int
	// SendWait is how long a send from a goroutine that is not a shard's
	// (Set.Send, Publish, Spawn, Adopt) waits, parked, for room in a full
	// inbox before it fails with ErrInboxFull; 0 means it fails after a
	// short spin (a few dozen yields). Shard goroutines never wait.
	SendWait time.Duration
	// NewHandler returns the handler for shard s. Required.
	NewHandler func(s *Shard) Handler
	// Logger receives the set's structured records: accept errors and the
	// back-offs after them (Warn, with the listener's address, the error
	// and the back-off), poller errors (Error), and listening sockets
	// starting and stopping (Debug). Records made on a shard carry its
	// index as "shard"; repeating ones are limited to one a second. Nothing
	// is logged per message or per connection. Nil discards them.
	Logger *slog.Logger
	// OnGroup, if set, is told when a pub/sub group gets its first member
	// on any shard (on == true) and when it loses its last one. It is
	// called on the shard goroutine whose Join or Leave caused it, in order
	// (under a lock Publish takes for reading), and must not block.
	OnGroup func(name string, on bool)
	// TLSWorkers is how many TLS handshakes may compute at once (a
	// handshake waiting for its peer holds no place); 0 means GOMAXPROCS.
	TLSWorkers int
	// MaxHandshakes is how many TLS handshakes may be under way at once
	// across the set, split evenly over the shards (each runs up to
	// MaxHandshakes/Shards, rounded up, at least one); a TLS connection past
	// it waits on its shard, costing no goroutine, until a place frees or
	// its handshake timeout ends. 0 means DefaultMaxHandshakes.
	MaxHandshakes int
}

// DefaultMaxHandshakes is Config.MaxHandshakes when it sets none.
const DefaultMaxHandshakes = 1024

type setState int32

const (
	stateNew setState = iota
	stateRunning
	stateStopping
	stateStopped
)

// Set is the shards that serve one node, with their listeners and acceptor.
type Set struct {
	cfg    Config
	log    *slog.Logger // cfg.Logger, or discard
	shards []*Shard
	acc    *acceptor // accepts on listeners of one socket (see serve)

	index groupIndex // which shards have members of each group

	tlsWorkers *workerSem     // TLS handshakes computing at once
	hsRunning  sync.WaitGroup // TLS handshake goroutines

	mu        sync.Mutex // guards listeners and state transitions
	listeners []*Listener
	state     atomic.Int32
}

// NewSet creates the shards' pollers, wakers and inboxes. Nothing runs until
// Start.
func NewSet(cfg Config) (*Set, error) {
	if cfg.NewHandler == nil {
		return nil, fmt.Errorf("shard: Config.NewHandler is required")
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 1
	}
	if cfg.Shards > MaxShards {
		return nil, fmt.Errorf("shard: %d shards requested, at most %d", cfg.Shards, MaxShards)
	}
	if cfg.Node < 0 || cfg.Node > MaxNode {
		return nil, fmt.Errorf("shard: node %d out of range 0..%d", cfg.Node, MaxNode)
	}
	if cfg.InboxSize == 0 {
		cfg.InboxSize = 8192
	}
	if cfg.MaxRetry == 0 {
		cfg.MaxRetry = 65536
	}
	if cfg.ReadBufferSize == 0 {
		cfg.ReadBufferSize = 64 << 10
	}
	if cfg.TLSWorkers < 0 || cfg.MaxHandshakes < 0 {
		return nil, fmt.Errorf("shard: negative TLSWorkers (%d) or MaxHandshakes (%d)", cfg.TLSWorkers, cfg.MaxHandshakes)
	}
	if cfg.TLSWorkers == 0 {
		cfg.TLSWorkers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxHandshakes == 0 {
		cfg.MaxHandshakes = DefaultMaxHandshakes
	}
	set := &Set{cfg: cfg, log: cfg.Logger, tlsWorkers: newWorkerSem(cfg.TLSWorkers)}
	if set.log == nil {
		set.log = discard
	}
	set.index.hook = cfg.OnGroup
	for i := 0; i < cfg.Shards; i++ {
		s, err := newShard(set, i)
		if err != nil {
			set.release(nil)
			return nil, err
		}
		s.h = cfg.NewHandler(s)
		s.hsMax = max(1, (cfg.MaxHandshakes+cfg.Shards-1)/cfg.Shards)
		set.shards = append(set.shards, s)
	}
	acc, err := newAcceptor(set)
	if err != nil {
		set.release(nil)
		return nil, err
	}
	set.acc = acc
	return set, nil
}

// release frees the descriptors of a set that never ran, with those of its
// listeners ls (read under set.mu: a CloseListener may be changing the
// list meanwhile).
func (set *Set) release(ls []*Listener) {
	for _, s := range set.shards {
		s.waker.close()
		s.poller.Close()
	}
	if set.acc != nil {
		set.acc.waker.close()
		set.acc.poller.Close()
	}
	for _, l := range ls {
		for _, fd := range l.fds {
			reactor.Close(fd)
		}
	}
}

// Shards returns the set's shards.
func (set *Set) Shards() []*Shard { return set.shards }

// Running reports whether the set has started and not begun to stop.
func (set *Set) Running() bool { return setState(set.state.Load()) == stateRunning }

// Listen binds a listener. network is tcp, tcp4, tcp6, unix, udp, udp4 or
// udp6; for UDP every remote address becomes a connection whose messages are
// its datagrams. Connections
// it accepts are decoded with c, kept within lim, and tag is handed to the
// handler through Conn.Listener().Tag. Listeners may be added before or after Start. Safe
// from any goroutine.
func (set *Set) Listen(network, address string, c codec.Codec, tag any, lim Limits) (*Listener, error) {
	if c == nil {
		return nil, fmt.Errorf("shard: listen %s://%s: nil codec", network, address)
	}
	if err := lim.Socket.validate(); err != nil {
		return nil, err
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	if st := setState(set.state.Load()); st == stateStopping || st == stateStopped {
		return nil, ErrListenerClosed
	}
	l := newListener(network, c, tag, lim)
	l.index = len(set.listeners)
	l.packet = strings.HasPrefix(network, "udp")
	if l.packet && (l.stream != nil || lim.TLS != nil) {
		return nil, &OpError{Op: "listen " + network + "://" + address, Err: ErrStreamOverPacket}
	}
	l.tcp = network != "unix" && !l.packet
	if l.packet && l.limits.IdleTimeout <= 0 {
		l.limits.IdleTimeout = defaultPacketIdle
	}
	count := 1
	if set.cfg.ReusePort && network != "unix" {
		count = len(set.shards)
	}
	for i := 0; i < count; i++ {
		addr := address
		if i > 0 {
			addr = l.addr.String() // later sockets join the first one's port
		}
		open := reactor.Listen
		if l.packet {
			open = reactor.ListenPacket
		}
		fd, bound, err := open(network, addr, reactor.ListenOptions{ReusePort: set.cfg.ReusePort && network != "unix"})
		if err != nil {
			for _, fd := range l.fds {
				reactor.Close(fd)
			}
			return nil, &OpError{Op: "listen " + network + "://" + address, Err: err}
		}
		if i == 0 {
			l.addr = bound
		}
		if l.packet { // one socket serves every peer: its buffers are theirs
			_ = l.limits.Socket.apply(fd, false)
		}
		l.fds = append(l.fds, fd)
	}
	set.listeners = append(set.listeners, l)
	if setState(set.state.Load()) == stateRunning {
		if err := set.serve(l); err != nil {
			return l, err
		}
	}
	return l, nil
}

// serve hands l to the acceptor, or each of its sockets to a shard: with
// ReusePort one per shard, a single UDP socket to one shard chosen by the
// listener's index, and every socket of a set of one shard to that shard,
// which accepts itself (no acceptor goroutine to wake: with one CPU, two
// goroutines each blocking in epoll_wait would hand the runtime's one P to
// each other only when its monitor takes it back from the system call). A socket no shard could take (its inbox stayed
// full, or serve runs on a shard goroutine whose wait would never end) is
// closed, and the first such error returned: the listener then serves on
// the other shards' sockets, if any.
func (set *Set) serve(l *Listener) error {
	if len(l.fds) == 1 && !l.packet && len(set.shards) > 1 {
		set.acc.add(l)
		return nil
	}
	var err error
	for i, fd := range l.fds {
		s := set.shards[(l.index+i)%len(set.shards)]
		e := envelope{kind: kindListen, to: uint64(fd), msg: l}
		if e2 := set.put(s, &e); e2 != nil {
			reactor.Close(fd)
			if err == nil {
				err = &OpError{Op: fmt.Sprintf("listen %s: shard %d taking its socket", l.addr, s.index), Err: e2}
			}
		}
	}
	return err
}

// defaultPacketIdle is how long a UDP peer may stay silent before its actor
// is closed, when the listener sets no idle timeout.
const defaultPacketIdle = time.Minute

// Start runs the shards and the acceptor. Safe from any goroutine; a second
// call returns an error.
func (set *Set) Start() error {
	set.mu.Lock()
	defer set.mu.Unlock()
	if !set.state.CompareAndSwap(int32(stateNew), int32(stateRunning)) {
		return ErrStarted
	}
	for _, s := range set.shards {
		go s.run()
	}
	go set.acc.run()
	for _, l := range set.listeners {
		_ = set.serve(l) // fresh inboxes: a put cannot fail
	}
	return nil
}

// Stop stops accepting, then lets every shard drain its inbox, flush what its
// connections wrote and close them (Handler.Closed gets ErrShutdown); a
// peer that does not take its last bytes is reset after its listener's
// close timeout. If ctx ends first, the remaining connections are reset at
// once and Stop returns ctx's error as soon as the shards have exited, or
// stopGrace later if a shard is still inside its handler (it exits when
// that call returns). Otherwise, when Stop returns, every goroutine and
// descriptor of the set is gone. Safe from any goroutine but a shard's:
// there it returns ErrOnShard at once, since it would wait for its own
// shard.
func (set *Set) Stop(ctx context.Context) error {
	if OnShard() {
		return ErrOnShard
	}
	set.mu.Lock()
	switch setState(set.state.Load()) {
	case stateNew:
		set.state.Store(int32(stateStopped))
		set.removeUnixFiles()
		ls := set.listeners // CloseListener copies before it removes one
		set.mu.Unlock()
		set.release(ls)
		return nil
	case stateStopping, stateStopped:
		set.mu.Unlock()
		return ErrStopped
	}
	set.state.Store(int32(stateStopping))
	set.mu.Unlock()

	set.acc.shutdown(ctx)
	for _, s := range set.shards {
		s.stopAt.Store(true)
		s.waker.Wake()
	}
	err := set.waitShards(ctx)
	if e := set.waitHandshakes(ctx); err == nil {
		err = e
	}
	set.mu.Lock()
	set.state.Store(int32(stateStopped))
	set.removeUnixFiles()
	set.mu.Unlock()
	return err
}

// removeUnixFiles removes the files of the set's Unix listeners, once it
// stops (a listener closed before removed its own). set.mu held.
func (set *Set) removeUnixFiles() {
	for _, l := range set.listeners {
		if l.network == "unix" {
			os.Remove(l.addr.String())
		}
	}
}

// stopGrace is how long Stop waits for the shards to exit once its context
// ended and it told them to reset what is left.
const stopGrace = time.Second

// waitHandshakes waits for the TLS handshake goroutines, whose transports
// the shards failed as they closed their connections; past ctx's end it
// waits stopGrace more (a configuration's callback, GetCertificate say,
// may be blocked where nobody can interrupt it) and gives up.
func (set *Set) waitHandshakes(ctx context.Context) error {
	done := make(chan struct{})
	go func() { set.hsRunning.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	return ctx.Err()
}

// waitShards waits for every shard to exit; once ctx ends it forces them,
// and waits at most stopGrace more.
func (set *Set) waitShards(ctx context.Context) error {
	var grace <-chan time.Time
	var err error
	for _, s := range set.shards {
		select {
		case <-s.done:
			continue
		case <-ctx.Done():
		}
		if err == nil {
			err = ctx.Err()
			for _, s := range set.shards {
				s.force.Store(true)
				s.waker.Wake()
			}
			t := time.NewTimer(stopGrace)
			defer t.Stop()
			grace = t.C
		}
		select {
		case <-s.done:
		case <-grace:
			return err
		}
	}
	return err
}

// Send delivers msg to the actor at address to, from the actor at from (0
// for none), from any goroutine that is not a shard's: it copies the envelope
// into the target shard's inbox. While that inbox is full it waits as put
// says, then gives up with ErrInboxFull. An address whose slot is gone is
// counted as a dead letter by its shard.
func (set *Set) Send(to, from uint64, msg any) error {
	s, err := set.target(to)
	if err != nil {
		return err
	}
	e := envelope{kind: kindMessage, to: to, from: from, msg: msg}
	return set.put(s, &e)
}

// put copies e into s's inbox for a goroutine that is not s's loop. While
// the inbox is full it spins briefly, then parks until s frees room, for at
// most Config.SendWait; a shard goroutine never parks (it could be waiting
// for itself, and it stalls its own connections): it fails after the spin.
// A put that gives up is counted (Stats.InboxFull) and returns ErrInboxFull.
func (set *Set) put(s *Shard, e *envelope) error {
	if s.inbox.TryPut(e) { // fast path
		return nil
	}
	wait := set.cfg.SendWait
	if wait > 0 && OnShard() {
		wait = 0
	}
	switch err := s.inbox.PutWait(e, wait); err {
	case nil:
		return nil
	case mailbox.ErrInboxFull:
		s.stats.inboxFull.Add(1)
		return ErrInboxFull
	case mailbox.ErrClosed:
		return ErrStopped // the shard has exited: nothing will take it
	default:
		return err
	}
}

func (set *Set) target(to uint64) (*Shard, error) {
	i, err := set.shardOf(to)
	if err != nil {
		return nil, err
	}
	if setState(set.state.Load()) != stateRunning {
		return nil, ErrStopped
	}
	return set.shards[i], nil
}

// shardOf returns the index of the shard an address of this node names.
func (set *Set) shardOf(to uint64) (int, error) {
	if AddrGen(to) == 0 {
		return 0, ErrBadAddress
	}
	if AddrNode(to) != set.cfg.Node {
		return 0, ErrRemoteNode
	}
	i := AddrShard(to)
	if i >= len(set.shards) {
		return 0, ErrBadAddress
	}
	return i, nil
}

// ParseAddress splits "tcp://host:port", "unix:///path" and the like into a
// network and an address; a bare "host:port" means tcp.
func ParseAddress(s string) (network, address string, err error) {
	for _, n := range []string{"tcp", "tcp4", "tcp6", "unix", "udp", "udp4", "udp6"} {
		if p := n + "://"; len(s) > len(p) && s[:len(p)] == p {
			return n, s[len(p):], nil
		}
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return "tcp", s, nil
	}
	return "", "", fmt.Errorf("shard: cannot parse listen address %q (want tcp://host:port or unix:///path)", s)
}
