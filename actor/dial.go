package actor

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/shard"
	"golang.org/x/sys/unix"
)

// dialRequest is the tag of a dialled connection's one-off listener.
type dialRequest struct {
	f     Factory
	reply chan spawnReply
}

// Dial connects to addr ("tcp://host:port", "unix:///path", "host:port",
// "tls://host:port" for TLS, or "ws://host:port/path" and
// "wss://host:port/path" with a WebSocket codec; TLS takes the TLS option's
// configuration, if given) and serves the connection on
// one of the system's shards exactly like an accepted one: c frames it, f
// makes its actor, which receives Opened first and Closed last. With a
// WebSocket codec the actor is made once the server accepted the upgrade;
// a refused upgrade is Dial's error. Dial returns the actor's ID once it is
// open, or the error that made the connection fail. It waits for the
// network, so it is for goroutines outside the system: called on a shard's
// goroutine (from Receive or a hook) it returns ErrOnShard at once. An
// actor uses Context.Dial, which answers with a Dialed message.
func (s *System) Dial(ctx context.Context, addr string, c codec.Codec, f Factory, opts ...ConnOption) (ID, error) {
	if shard.OnShard() {
		return 0, ErrOnShard
	}
	d, err := s.newDial(addr, c, f, opts)
	if err != nil {
		return 0, err
	}
	return s.dial(ctx, d)
}

// Dialed is the message Context.Dial answers with: the ID of the dialled
// connection's actor once it is open, or why it could not be made.
type Dialed struct {
	Addr string // the address given to Context.Dial
	ID   ID     // the new connection's actor; zero if Err is set
	Err  error
}

// Dial is System.Dial for an actor: it returns at once, and the outcome
// arrives later as a Dialed message (ID or Err) for this actor. The dial
// runs on a goroutine of its own; its connect takes at most its DialTimeout
// (a TLS handshake after it, at most its TLSHandshakeTimeout; a WebSocket
// upgrade after those, at most the codec's handshake timeout), and it is
// cancelled if the system stops. A bad address, codec or factory is refused at once.
// If this actor is gone when the dial ends, its Dialed is a dead letter and
// the new connection still runs. Shard goroutine only (call it from
// Receive).
func (c *Context) Dial(addr string, cd codec.Codec, f Factory, opts ...ConnOption) error {
	s := c.sys
	d, err := s.newDial(addr, cd, f, opts)
	if err != nil {
		return err
	}
	s.dials.Add(1)
	self := c.self
	go func() {
		defer s.dials.Done()
		// Not the shard's work: drop the shoal.shard label inherited from
		// the shard's goroutine, so profiles do not count it there.
		pprof.SetGoroutineLabels(context.Background())
		id, err := s.dial(s.dialCtx, d)
		_ = s.set.Send(uint64(self), 0, Dialed{Addr: addr, ID: id, Err: err})
	}()
	return nil
}

// dialing is a checked Dial request.
type dialing struct {
	addr, network, address, target string
	tls                            *tls.Config // client configuration of a TLS dial; nil for plain
	codec                          codec.Codec
	f                              Factory
	conn                           connConfig
}

// newDial checks a Dial's arguments.
func (s *System) newDial(addr string, c codec.Codec, f Factory, opts []ConnOption) (*dialing, error) {
	if f == nil {
		return nil, ErrNilFactory
	}
	if c == nil {
		return nil, fmt.Errorf("actor: dial %s: %w: nil codec", addr, ErrBadOption)
	}
	network, address, target, secure, err := dialTarget(addr, c)
	if err != nil {
		return nil, err
	}
	if !s.set.Running() {
		return nil, ErrStopped
	}
	cc, err := newConnConfig(opts, false)
	if err != nil {
		return nil, fmt.Errorf("actor: dial %s: %w", addr, err)
	}
	d := &dialing{addr: addr, network: network, address: address, target: target, codec: c, f: f, conn: cc}
	switch {
	case secure:
		host, _, _ := net.SplitHostPort(address)
		d.tls = clientTLS(cc.tls, host)
	case cc.set&optTLS != 0:
		return nil, fmt.Errorf("actor: dial %s: %w: the TLS option needs a tls:// or wss:// address", addr, ErrBadOption)
	}
	return d, nil
}

// dial connects and waits for the connection's actor.
func (s *System) dial(ctx context.Context, d *dialing) (ID, error) {
	nd := net.Dialer{Timeout: d.conn.dialTimeout}
	conn, err := nd.DialContext(ctx, d.network, d.address)
	if err != nil {
		return 0, fmt.Errorf("actor: dial %s: %w", d.addr, err)
	}
	fd, err := dupFD(conn)
	conn.Close()
	if err != nil {
		return 0, fmt.Errorf("actor: dial %s: %w", d.addr, err)
	}
	req := &dialRequest{f: d.f, reply: make(chan spawnReply, 1)}
	failed := func(err error) { req.reply <- spawnReply{err: fmt.Errorf("actor: dial %s: %w", d.addr, userErr(err))} }
	lim := d.conn.limits()
	lim.TLS = d.tls
	if err := s.set.Adopt(fd, d.network, d.target, d.codec, req, lim, failed); err != nil {
		return 0, fmt.Errorf("actor: dial %s: %w", d.addr, userErr(err))
	}
	select {
	case r := <-req.reply:
		return r.id, r.err
	case <-ctx.Done():
		return 0, ctx.Err() // the connection still opens; its actor runs
	}
}

// dialTarget splits a Dial address into the network and address to connect
// to, the target a stream codec's handshake names, and whether it runs TLS.
// A ws:// or wss:// URL dials its host (port 80 or 443 by default) and
// needs a codec.StreamCodec; for other addresses a stream codec's target
// is ws://address/ (wss:// over tls://).
func dialTarget(addr string, c codec.Codec) (network, address, target string, secure bool, err error) {
	_, isStream := c.(codec.StreamCodec)
	if strings.HasPrefix(addr, "ws://") || strings.HasPrefix(addr, "wss://") {
		u, err := url.Parse(addr)
		if err != nil || u.Hostname() == "" {
			return "", "", "", false, fmt.Errorf("%w: %q (want %s://host:port/path)", ErrBadAddress, addr, u.Scheme)
		}
		if !isStream {
			return "", "", "", false, fmt.Errorf("actor: dial %s: %w: a %s:// address needs a WebSocket codec, not %T", addr, ErrBadAddress, u.Scheme, c)
		}
		secure = u.Scheme == "wss"
		host := u.Host
		if u.Port() == "" {
			port := "80"
			if secure {
				port = "443"
			}
			host = net.JoinHostPort(u.Hostname(), port)
		}
		return "tcp", host, addr, secure, nil
	}
	if rest, ok := strings.CutPrefix(addr, "tls://"); ok {
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return "", "", "", false, fmt.Errorf("%w: %q (want tls://host:port)", ErrBadAddress, addr)
		}
		if isStream {
			target = "wss://" + rest + "/"
		}
		return "tcp", rest, target, true, nil
	}
	network, address, err = shard.ParseAddress(addr)
	if err != nil {
		return "", "", "", false, fmt.Errorf("%w: %q (want tcp://host:port, tls://host:port, unix:///path, ws://host:port/path, wss://host:port/path or host:port)", ErrBadAddress, addr)
	}
	if isStream {
		target = "ws://" + address + "/"
	}
	return network, address, target, false, nil
}

// dupFD returns a close-on-exec duplicate of conn's socket, which outlives
// conn.
func dupFD(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("connection of type %T has no descriptor", conn)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return fd, dupErr
}
