package shard

import (
	"net"
	"sync/atomic"

	"github.com/shoalrt/shoal/codec"
)

// Listener is one listening address of a group: its sockets, its codec and the
// handler's value for it (the actor factory).
type Listener struct {
	// Tag is the handler's value for this listener. Set before Listen; read-only after.
	Tag any

	network string      // tcp, tcp4, tcp6 or unix
	addr    net.Addr    // the bound address (port resolved)
	codec   codec.Codec // framing and serialisation of every connection
	raw     bool        // codec is a *codec.BytesCodec: frames are delivered unboxed
	tcp     bool        // set TCP_NODELAY on accepted sockets
	fds     []int       // one listening socket, or one per shard with ReusePort
	index   int         // position in the group's listener list (poller token)

	accepted atomic.Uint64 // connections accepted
	refused  atomic.Uint64 // accept errors that made the listener back off
}

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.addr }

// Network returns the listener's network: tcp, tcp4, tcp6 or unix.
func (l *Listener) Network() string { return l.network }

// Codec returns the listener's codec.
func (l *Listener) Codec() codec.Codec { return l.codec }

// Accepted returns how many connections the listener has accepted. Safe from
// any goroutine.
func (l *Listener) Accepted() uint64 { return l.accepted.Load() }

// AcceptErrors returns how many times accepting failed for lack of resources
// (EMFILE, ENFILE, ENOBUFS, ENOMEM) and the listener backed off. Safe from any
// goroutine.
func (l *Listener) AcceptErrors() uint64 { return l.refused.Load() }
