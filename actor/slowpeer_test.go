package actor_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

type push struct{}

// pusher writes chunk to its peer every few milliseconds, forever, once
// the peer sent a frame (so a peer that only connects is left alone), and
// reports its Closed through closed.
func pusher(chunk []byte, closed chan<- error) actor.Factory {
	return func() actor.Actor {
		pushing := false
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case []byte:
				if !pushing {
					pushing = true
					ctx.Every(2*time.Millisecond, push{})
				}
			case push:
				for i := 0; i < 4; i++ {
					if ctx.WriteBytes(chunk) != nil {
						return
					}
				}
			case actor.Closed:
				closed <- m.Err
			}
		})
	}
}

// slowPeers connects n clients that never read, with small socket buffers
// so the kernel holds little of what the server writes.
func slowPeers(t *testing.T, addr net.Addr, n int) []net.Conn {
	t.Helper()
	var cs []net.Conn
	for i := 0; i < n; i++ {
		c := dial(t, addr)
		require.NoError(t, c.(*net.TCPConn).SetReadBuffer(16<<10))
		cs = append(cs, c)
	}
	return cs
}

// requireReset checks that the server reset c: reading it ends with
// ECONNRESET (whatever it still had to read is dropped with the reset).
func requireReset(t *testing.T, c net.Conn) {
	t.Helper()
	buf := make([]byte, 64<<10)
	for {
		_, err := c.Read(buf)
		if err != nil {
			require.ErrorIs(t, err, syscall.ECONNRESET, "the server reset the connection")
			return
		}
	}
}

// Peers that stop reading while the server pushes to them lose their
// connection, and with it their slot, descriptor and MaxConns place, while
// they still hold their end open: Disconnect and KeepWrites past
// MaxBuffered reset them at once.
func TestPeersThatNeverReadAreReset(t *testing.T) {
	const peers = 20
	for _, tt := range []struct {
		name string
		opts []any
	}{
		{name: "Disconnect", opts: []any{actor.HighWater(1<<20, actor.Disconnect)}},
		{name: "KeepWrites past MaxBuffered", opts: []any{actor.HighWater(256<<10, actor.KeepWrites), actor.MaxBuffered(1 << 20)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			closed := make(chan error, peers)
			opts := append([]any{actor.MaxConns(peers, nil), actor.Socket(actor.SocketOptions{SendBuffer: 16 << 10})}, tt.opts...)
			sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.LengthField(4)), pusher(make([]byte, 64<<10), closed), opts...)
			cs := slowPeers(t, l.Addr(), peers)
			for _, c := range cs {
				_, err := c.Write([]byte{0, 0, 0, 1, 'x'}) // start the push
				require.NoError(t, err)
			}
			for i := 0; i < peers; i++ {
				require.ErrorIs(t, recv(t, closed), actor.ErrSlowConsumer)
			}
			// The clients still hold their sockets; the server holds nothing.
			require.Eventually(t, func() bool { return l.Open() == 0 && sys.Stats()[0].Connections == 0 }, waitFor, time.Millisecond)
			for _, c := range cs {
				requireReset(t, c)
			}
			// Their MaxConns places are free again: a new peer is taken, not
			// refused (it sends nothing, so nothing is pushed to it).
			dial(t, l.Addr())
			require.Eventually(t, func() bool { return l.Accepted() == peers+1 }, waitFor, time.Millisecond)
			require.Zero(t, l.Refused(), "a new peer is taken")
		})
	}
}

// closer writes more than a peer's buffers hold, then closes gracefully.
func closer(closed chan<- error) actor.Factory {
	chunk := make([]byte, 256<<10)
	return func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Opened:
				for i := 0; i < 16; i++ { // 4 MiB
					if err := ctx.WriteBytes(chunk); err != nil {
						panic(err) // fails the test through Closed.Err
					}
				}
			case []byte:
				ctx.Close()
			case actor.Closed:
				closed <- m.Err
			}
		})
	}
}

// A graceful close waits for a peer that does not read no longer than the
// listener's CloseTimeout: then the socket is reset and Closed says why.
func TestGracefulCloseHasADeadline(t *testing.T) {
	closed := make(chan error, 1)
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.LengthField(4)), closer(closed),
		actor.CloseTimeout(100*time.Millisecond), actor.Socket(actor.SocketOptions{SendBuffer: 16 << 10}))
	c := slowPeers(t, l.Addr(), 1)[0]
	_, err := c.Write([]byte{0, 0, 0, 1, 'x'}) // the actor closes on it
	require.NoError(t, err)
	require.ErrorIs(t, recv(t, closed), actor.ErrCloseTimeout)
	require.Eventually(t, func() bool { return l.Open() == 0 }, waitFor, time.Millisecond)
	requireReset(t, c)
	var timeouts uint64
	for _, st := range sys.Stats() {
		timeouts += st.CloseTimeouts
	}
	require.Equal(t, uint64(1), timeouts)
}

// Stop closes connections whose peers do not read within their close
// timeout (Closed.Err is ErrCloseTimeout wrapping ErrShutdown), or at its own
// deadline if that comes first (then Stop returns the context's error).
func TestStopWithPeersThatNeverRead(t *testing.T) {
	for _, tt := range []struct {
		name     string
		close    time.Duration // the listener's close timeout
		deadline time.Duration // Stop's
		stopErr  error
		closeErr []error // what Closed.Err must match
	}{
		{name: "close timeout first", close: 100 * time.Millisecond, deadline: waitFor,
			closeErr: []error{actor.ErrCloseTimeout, actor.ErrShutdown}},
		{name: "Stop's deadline first", close: time.Hour, deadline: 200 * time.Millisecond,
			stopErr: context.DeadlineExceeded, closeErr: []error{actor.ErrShutdown}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const peers = 5
			closed := make(chan error, peers)
			sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.LengthField(4)), closer(closed),
				actor.CloseTimeout(tt.close), actor.Socket(actor.SocketOptions{SendBuffer: 16 << 10}))
			cs := slowPeers(t, l.Addr(), peers)
			require.Eventually(t, func() bool { return l.Open() == peers }, waitFor, time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			stopped := make(chan error, 1)
			go func() { stopped <- sys.Stop(ctx) }()
			err := recv(t, stopped)
			if tt.stopErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.stopErr)
			}
			for i := 0; i < peers; i++ {
				err := recv(t, closed)
				for _, want := range tt.closeErr {
					require.True(t, errors.Is(err, want), "Closed.Err %v is not %v", err, want)
				}
			}
			for _, c := range cs {
				requireReset(t, c)
			}
		})
	}
}
