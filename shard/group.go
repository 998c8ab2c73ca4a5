package shard

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/mailbox"
	"github.com/shoalrt/shoal/reactor"
)

// Config describes a group of shards.
type Config struct {
	// Shards is the number of event loops; 0 means 1.
	Shards int
	// Node is this process's node number in a cluster (0..MaxNode).
	Node int
	// Balance picks a shard for each accepted connection.
	Balance Balance
	// ReusePort gives every shard its own SO_REUSEPORT socket per TCP
	// listener and lets the kernel balance; no acceptor goroutine runs.
	ReusePort bool
	// InboxSize is each shard's inbox ring size (a power of two); 0 means 8192.
	InboxSize int
	// MaxRetry bounds the sends a shard keeps for retry per target shard when
	// that shard's inbox is full; past it sends become dead letters. 0 means 65536.
	MaxRetry int
	// ReadBufferSize is each shard's read buffer; 0 means 64 KiB.
	ReadBufferSize int
	// SendWait is how long a send from a goroutine that is not a shard's
	// (Group.Send, Publish, Spawn, Adopt) waits, parked, for room in a full
	// inbox before it fails with ErrInboxFull; 0 means it fails after a
	// short spin (mailbox.PutSpins yields). Shard goroutines never wait.
	SendWait time.Duration
	// NewHandler returns the handler for shard s. Required.
	NewHandler func(s *Shard) Handler
	// OnGroup, if set, is told when the group gets its first member of a
	// group on any shard (on == true) and when it loses its last one. It is
	// called on the shard goroutine whose Join or Leave caused it, in order
	// (under a lock Publish takes for reading), and must not block.
	OnGroup func(name string, on bool)
}

type groupState int32

const (
	stateNew groupState = iota
	stateRunning
	stateStopping
	stateStopped
)

// Group is a set of shards with their listeners and acceptor.
type Group struct {
	cfg    Config
	shards []*Shard
	acc    *acceptor // nil with ReusePort until a unix listener needs it

	index groupIndex // which shards have members of each group

	mu        sync.Mutex // guards listeners and state transitions
	listeners []*Listener
	state     atomic.Int32
}

// NewGroup creates the shards' pollers, wakers and inboxes. Nothing runs until
// Start.
func NewGroup(cfg Config) (*Group, error) {
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
	g := &Group{cfg: cfg}
	g.index.hook = cfg.OnGroup
	for i := 0; i < cfg.Shards; i++ {
		s, err := newShard(g, i)
		if err != nil {
			g.release()
			return nil, err
		}
		s.h = cfg.NewHandler(s)
		g.shards = append(g.shards, s)
	}
	acc, err := newAcceptor(g)
	if err != nil {
		g.release()
		return nil, err
	}
	g.acc = acc
	return g, nil
}

// release frees the descriptors of a group that never ran.
func (g *Group) release() {
	for _, s := range g.shards {
		s.waker.close()
		s.poller.Close()
	}
	if g.acc != nil {
		g.acc.waker.Close()
		g.acc.poller.Close()
	}
	for _, l := range g.listeners {
		for _, fd := range l.fds {
			reactor.Close(fd)
		}
	}
}

// Shards returns the group's shards.
func (g *Group) Shards() []*Shard { return g.shards }

// Node returns the group's node number.
func (g *Group) Node() int { return g.cfg.Node }

// Running reports whether the group has started and not begun to stop.
func (g *Group) Running() bool { return groupState(g.state.Load()) == stateRunning }

// Listen binds a listener. network is tcp, tcp4, tcp6, unix, udp, udp4 or
// udp6; for UDP every remote address becomes a connection whose messages are
// its datagrams. Connections
// it accepts are decoded with c, kept within lim, and tag is handed to the
// handler through Conn.Listener().Tag. Listeners may be added before or after Start. Safe
// from any goroutine.
func (g *Group) Listen(network, address string, c codec.Codec, tag any, lim Limits) (*Listener, error) {
	if c == nil {
		return nil, fmt.Errorf("shard: listen %s://%s: nil codec", network, address)
	}
	if err := lim.Socket.validate(); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if st := groupState(g.state.Load()); st == stateStopping || st == stateStopped {
		return nil, ErrListenerClosed
	}
	l := newListener(network, c, tag, lim)
	l.index = len(g.listeners)
	l.packet = strings.HasPrefix(network, "udp")
	if l.packet && l.stream != nil {
		return nil, &OpError{Op: "listen " + network + "://" + address, Err: ErrStreamOverPacket}
	}
	l.tcp = network != "unix" && !l.packet
	if l.packet && l.Limits.IdleTimeout <= 0 {
		l.Limits.IdleTimeout = DefaultPacketIdle
	}
	count := 1
	if g.cfg.ReusePort && network != "unix" {
		count = len(g.shards)
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
		fd, bound, err := open(network, addr, reactor.ListenOptions{ReusePort: g.cfg.ReusePort && network != "unix"})
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
			_ = l.Limits.Socket.apply(fd, false)
		}
		l.fds = append(l.fds, fd)
	}
	g.listeners = append(g.listeners, l)
	if groupState(g.state.Load()) == stateRunning {
		if err := g.serve(l); err != nil {
			return l, err
		}
	}
	return l, nil
}

// serve hands l to the acceptor, or each of its sockets to a shard: with
// ReusePort one per shard, and a single UDP socket to one shard chosen by
// the listener's index. A socket no shard could take (its inbox stayed
// full, or serve runs on a shard goroutine whose wait would never end) is
// closed, and the first such error returned: the listener then serves on
// the other shards' sockets, if any.
func (g *Group) serve(l *Listener) error {
	if len(l.fds) == 1 && !l.packet {
		g.acc.add(l)
		return nil
	}
	var err error
	for i, fd := range l.fds {
		s := g.shards[(l.index+i)%len(g.shards)]
		e := envelope{kind: kindListen, to: uint64(fd), msg: l}
		if e2 := g.put(s, &e); e2 != nil {
			reactor.Close(fd)
			if err == nil {
				err = &OpError{Op: fmt.Sprintf("listen %s: shard %d taking its socket", l.addr, s.index), Err: e2}
			}
		}
	}
	return err
}

// DefaultPacketIdle is how long a UDP peer may stay silent before its actor
// is closed, when the listener sets no idle timeout.
const DefaultPacketIdle = time.Minute

// Start runs the shards and the acceptor. Safe from any goroutine; a second
// call returns an error.
func (g *Group) Start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.state.CompareAndSwap(int32(stateNew), int32(stateRunning)) {
		return ErrStarted
	}
	for _, s := range g.shards {
		go s.run()
	}
	go g.acc.run()
	for _, l := range g.listeners {
		_ = g.serve(l) // fresh inboxes: a put cannot fail
	}
	return nil
}

// Stop stops accepting, then lets every shard drain its inbox, flush what its
// connections wrote and close them (Handler.Closed gets ErrShutdown); a
// peer that does not take its last bytes is reset after its listener's
// close timeout. If ctx ends first, the remaining connections are reset at
// once and Stop returns ctx's error as soon as the shards have exited, or
// StopGrace later if a shard is still inside its handler (it exits when
// that call returns). Otherwise, when Stop returns, every goroutine and
// descriptor of the group is gone. Safe from any goroutine but a shard's:
// there it returns ErrOnShard at once, since it would wait for its own
// shard.
func (g *Group) Stop(ctx context.Context) error {
	if OnShard() {
		return ErrOnShard
	}
	g.mu.Lock()
	switch groupState(g.state.Load()) {
	case stateNew:
		g.state.Store(int32(stateStopped))
		g.mu.Unlock()
		g.release()
		return nil
	case stateStopping, stateStopped:
		g.mu.Unlock()
		return ErrStopped
	}
	g.state.Store(int32(stateStopping))
	g.mu.Unlock()

	g.acc.shutdown(ctx)
	for _, s := range g.shards {
		s.stopAt.Store(true)
		s.waker.Wake()
	}
	err := g.waitShards(ctx)
	g.mu.Lock()
	g.state.Store(int32(stateStopped))
	for _, l := range g.listeners {
		if l.network == "unix" {
			os.Remove(l.addr.String())
		}
	}
	g.mu.Unlock()
	return err
}

// StopGrace is how long Stop waits for the shards to exit once its context
// ended and it told them to reset what is left.
const StopGrace = time.Second

// waitShards waits for every shard to exit; once ctx ends it forces them,
// and waits at most StopGrace more.
func (g *Group) waitShards(ctx context.Context) error {
	var grace <-chan time.Time
	var err error
	for _, s := range g.shards {
		select {
		case <-s.done:
			continue
		case <-ctx.Done():
		}
		if err == nil {
			err = ctx.Err()
			for _, s := range g.shards {
				s.force.Store(true)
				s.waker.Wake()
			}
			t := time.NewTimer(StopGrace)
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
func (g *Group) Send(to, from uint64, msg any) error {
	s, err := g.target(to)
	if err != nil {
		return err
	}
	e := envelope{kind: kindMessage, to: to, from: from, msg: msg}
	return g.put(s, &e)
}

// put copies e into s's inbox for a goroutine that is not s's loop. While
// the inbox is full it spins briefly, then parks until s frees room, for at
// most Config.SendWait; a shard goroutine never parks (it could be waiting
// for itself, and it stalls its own connections): it fails after the spin.
// A put that gives up is counted as dropped and returns ErrInboxFull.
func (g *Group) put(s *Shard, e *envelope) error {
	if s.inbox.TryPut(e) { // fast path
		return nil
	}
	wait := g.cfg.SendWait
	if wait > 0 && OnShard() {
		wait = 0
	}
	switch s.inbox.PutWait(e, wait) {
	case nil:
		return nil
	case mailbox.ErrClosed:
		return ErrStopped // the shard has exited: nothing will take it
	}
	s.stats.dropped.Add(1)
	return ErrInboxFull
}

func (g *Group) target(to uint64) (*Shard, error) {
	i, err := g.shardOf(to)
	if err != nil {
		return nil, err
	}
	if groupState(g.state.Load()) != stateRunning {
		return nil, ErrStopped
	}
	return g.shards[i], nil
}

// shardOf returns the index of the shard an address of this node names.
func (g *Group) shardOf(to uint64) (int, error) {
	if AddrGen(to) == 0 {
		return 0, ErrBadAddress
	}
	if AddrNode(to) != g.cfg.Node {
		return 0, ErrRemoteNode
	}
	i := AddrShard(to)
	if i >= len(g.shards) {
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
