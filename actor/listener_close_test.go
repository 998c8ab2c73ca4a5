package actor_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// requireRefused checks that nothing accepts on addr any more.
func requireRefused(t *testing.T, addr net.Addr) {
	t.Helper()
	// The close is asynchronous: the acceptor or the shards close the
	// socket on their own goroutine a moment after Close returns.
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout(addr.Network(), addr.String(), time.Second)
		if err == nil {
			c.Close()
			return false
		}
		return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT)
	}, waitFor, 5*time.Millisecond, "%s still accepts", addr)
}

// echoOn writes a line on c and reads it back.
func echoOn(t *testing.T, c net.Conn, r *bufio.Reader, line string) {
	t.Helper()
	_, err := c.Write([]byte(line + "\n"))
	require.NoError(t, err)
	require.Equal(t, line, readLine(t, r))
}

// Close stops one listener accepting while its connections and the other
// listeners go on; Shutdown then closes its connections, whose actors hear
// ErrListenerClosed, and waits for them.
func TestListenerCloseThenShutdown(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "acceptor", true: "reuseport"}[reuse], func(t *testing.T) {
			p := newProbe()
			sys, l1 := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), lineEcho(p), actor.Shards(2), actor.ReusePort(reuse))
			l2, err := sys.Listen("127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
			require.NoError(t, err)

			c := dial(t, l1.Addr())
			r := bufio.NewReader(c)
			echoOn(t, c, r, "before")
			id := p.next(t, isOpened).id

			require.NoError(t, l1.Close())
			require.ErrorIs(t, l1.Close(), actor.ErrListenerClosed)
			requireRefused(t, l1.Addr())
			echoOn(t, c, r, "after close") // its connection goes on
			requireServed(t, l2.Addr())    // and so does the other listener

			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			require.NoError(t, l1.Shutdown(ctx))
			require.Zero(t, l1.Open())
			_, err = r.ReadString('\n')
			requireClosed(t, err)
			// (requireRefused's probes may have been accepted and closed
			// before every shard's socket was gone: skip their Closed.)
			e := p.next(t, func(m any) bool { return isClosed(m) })
			for e.id != id {
				e = p.next(t, isClosed)
			}
			require.ErrorIs(t, e.msg.(actor.Closed).Err, actor.ErrListenerClosed)
			require.NoError(t, l1.Shutdown(ctx), "a second Shutdown waits like the first")
			requireServed(t, l2.Addr())
		})
	}
}

// Shutdown without Close first flushes what the actor wrote before the
// close: the peer reads the last line, then the end of the stream.
func TestListenerShutdownFlushes(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.WriteBytes([]byte("hello"))
		}
	}
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory)
	_ = sys
	c := dial(t, l.Addr())
	r := bufio.NewReader(c)
	require.Equal(t, "hello", readLine(t, r))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, l.Shutdown(ctx))
	_, err := r.ReadString('\n')
	requireClosed(t, err)
	requireRefused(t, l.Addr())
}

// A listener can be closed from inside Receive (Close does not wait);
// Shutdown there is refused with ErrOnShard.
func TestListenerCloseFromReceive(t *testing.T) {
	p := newProbe()
	lc := make(chan *actor.Listener, 1) // the race detector cannot see the network's ordering
	errs := make(chan error, 2)
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok && string(b) == "close" {
			l := <-lc
			errs <- l.Shutdown(context.Background())
			errs <- l.Close()
			ctx.WriteBytes([]byte("closed"))
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory)
	lc <- l
	c := dial(t, l.Addr())
	r := bufio.NewReader(c)
	_, err := c.Write([]byte("close\n"))
	require.NoError(t, err)
	require.ErrorIs(t, recv(t, errs), actor.ErrOnShard)
	require.NoError(t, recv(t, errs))
	require.Equal(t, "closed", readLine(t, r))
	requireRefused(t, l.Addr())
}

// Closing a UDP listener closes its peers' connections (they have no
// socket left); closing a Unix listener removes its file; closing one that
// never served (before Start) works too.
func TestListenerCloseUDPUnixAndUnstarted(t *testing.T) {
	p := newProbe()
	sys, lu := startSystem(t, "udp://127.0.0.1:0", codec.Bytes(codec.Raw()), lineEcho(p))
	pc, err := net.Dial("udp", lu.Addr().String())
	require.NoError(t, err)
	defer pc.Close()
	_, err = pc.Write([]byte("ping"))
	require.NoError(t, err)
	p.next(t, isOpened)
	require.NoError(t, lu.Close())
	closed := p.next(t, isClosed).msg.(actor.Closed)
	require.ErrorIs(t, closed.Err, actor.ErrListenerClosed)
	require.Eventually(t, func() bool { return lu.Open() == 0 }, waitFor, 5*time.Millisecond)

	path := filepath.Join(t.TempDir(), "s.sock")
	lx, err := sys.Listen("unix://"+path, codec.Bytes(codec.Line()), echoFactory)
	require.NoError(t, err)
	requireServed(t, lx.Addr())
	require.NoError(t, lx.Close())
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist)
	requireRefused(t, lx.Addr())

	idle, err := actor.NewSystem()
	require.NoError(t, err)
	li, err := idle.Listen("127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
	require.NoError(t, err)
	require.NoError(t, li.Close())
	require.NoError(t, idle.Start())
	requireRefused(t, li.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, li.Shutdown(ctx))
	require.NoError(t, idle.Stop(ctx))
}

// A Close that a shard missed (its inbox full) returns ErrInboxFull and
// leaves the listener closable: the next Close asks again and closes the
// socket that shard still served, instead of reporting ErrListenerClosed
// while the address still accepts.
func TestListenerCloseRetriesAShardItMissed(t *testing.T) {
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory,
		actor.Shards(2), actor.ReusePort(true), actor.InboxSize(64), actor.SendWait(0))
	release, blocked := make(chan struct{}), make(chan struct{})
	var victim actor.ID
	for victim.Shard() != 1 {
		id, err := sys.Spawn(func() actor.Actor {
			return actor.ReceiveFunc(func(ctx *actor.Context) {
				if ctx.Message() == "block" {
					close(blocked)
					<-release
				}
			})
		})
		require.NoError(t, err)
		victim = id
	}
	require.NoError(t, sys.Send(victim, "block"))
	<-blocked // shard 1 is busy: fill its inbox
	for !errors.Is(sys.Send(victim, "fill"), actor.ErrInboxFull) {
	}
	require.ErrorIs(t, l.Close(), actor.ErrInboxFull)
	close(release)
	require.NoError(t, l.Close(), "the retry reaches shard 1")
	requireRefused(t, l.Addr())
	require.ErrorIs(t, l.Close(), actor.ErrListenerClosed)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, l.Shutdown(ctx))
}

// A listener added just before Stop, whose socket reaches its shard only
// once the shard began stopping, must not leak the socket.
func TestListenJustBeforeStopLeaksNoSocket(t *testing.T) {
	for _, addr := range []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"} {
		t.Run(addr, func(t *testing.T) {
			fds := countFDs(t)
			sys, err := actor.NewSystem(actor.ReusePort(true), actor.Shards(2))
			require.NoError(t, err)
			require.NoError(t, sys.Start())
			release, blocked := make(chan struct{}), make(chan struct{})
			for i := 0; i < 2; i++ { // block both shards
				id, err := sys.Spawn(func() actor.Actor {
					return actor.ReceiveFunc(func(ctx *actor.Context) {
						if ctx.Message() == "block" {
							blocked <- struct{}{}
							<-release
						}
					})
				})
				require.NoError(t, err)
				require.NoError(t, sys.Send(id, "block"))
				<-blocked
			}
			_, err = sys.Listen(addr, codec.Bytes(codec.Raw()), echoFactory)
			require.NoError(t, err)
			stopped := make(chan error, 1)
			go func() { stopped <- sys.Stop(context.Background()) }()
			time.Sleep(100 * time.Millisecond) // Stop asks the shards to stop
			close(release)
			require.NoError(t, recv(t, stopped))
			require.Eventually(t, func() bool { return countFDs(t) <= fds }, 2*time.Second, 10*time.Millisecond,
				"descriptors leaked: %d before, %d after", fds, countFDs(t))
		})
	}
}

// Closing a listener of a stopped system must not remove the socket file a
// new system now listens on at the same path.
func TestCloseAfterStopKeepsAnotherSystemsUnixFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	a, err := actor.NewSystem()
	require.NoError(t, err)
	la, err := a.Listen("unix://"+path, codec.Bytes(codec.Line()), echoFactory)
	require.NoError(t, err)
	require.NoError(t, a.Start())
	require.NoError(t, a.Stop(context.Background()))

	_, lb := startSystem(t, "unix://"+path, codec.Bytes(codec.Line()), echoFactory)
	requireServed(t, lb.Addr())
	_ = la.Close() // say, a deferred Close of the old system's listener
	_, err = os.Stat(path)
	require.NoError(t, err, "the new system's socket file is gone")
	requireServed(t, lb.Addr())
}

// A system stopped before it started removes its Unix listeners' files too.
func TestStopBeforeStartRemovesUnixFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	a, err := actor.NewSystem()
	require.NoError(t, err)
	_, err = a.Listen("unix://"+path, codec.Bytes(codec.Line()), echoFactory)
	require.NoError(t, err)
	require.NoError(t, a.Stop(context.Background()))
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// Closing listeners while a system that never started stops leaks none of
// their sockets (and races with nothing).
func TestListenerCloseRacesStopBeforeStart(t *testing.T) {
	fds := countFDs(t)
	for i := 0; i < 50; i++ {
		sys, err := actor.NewSystem(actor.Shards(2), actor.ReusePort(i%2 == 0))
		require.NoError(t, err)
		var ls []*actor.Listener
		for _, a := range []string{"127.0.0.1:0", "udp://127.0.0.1:0", "127.0.0.1:0"} {
			l, err := sys.Listen(a, codec.Bytes(codec.Raw()), echoFactory)
			require.NoError(t, err)
			ls = append(ls, l)
		}
		done := make(chan struct{}, len(ls))
		for _, l := range ls {
			go func() { _ = l.Close(); done <- struct{}{} }()
		}
		require.NoError(t, sys.Stop(context.Background()))
		for range ls {
			recv(t, done)
		}
	}
	require.Eventually(t, func() bool { return countFDs(t) <= fds }, waitFor, 10*time.Millisecond,
		"descriptors leaked: %d before, %d after", fds, countFDs(t))
}

// Shutdown is bounded by the listener's CloseTimeout even for a peer that
// never reads: its connection is reset, its actor hears ErrCloseTimeout
// wrapping ErrListenerClosed, and Shutdown returns.
func TestListenerShutdownPeerNeverReads(t *testing.T) {
	p := newProbe()
	big := make([]byte, 1<<20)
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			for i := 0; i < 8; i++ { // far more than the socket buffers take
				ctx.WriteBytes(big)
			}
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory,
		actor.CloseTimeout(100*time.Millisecond), actor.Socket(actor.SocketOptions{SendBuffer: 4096}))
	c := dial(t, l.Addr()) // never read
	_ = c
	id := p.next(t, isOpened).id
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, l.Shutdown(ctx))
	e := p.next(t, isClosed)
	require.Equal(t, id, e.id)
	err := e.msg.(actor.Closed).Err
	require.ErrorIs(t, err, actor.ErrCloseTimeout)
	require.ErrorIs(t, err, actor.ErrListenerClosed)
}
