package actor_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

func TestMaxConnsRefusesVisiblyAndCounts(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), lineEcho(p),
		actor.Shards(2), actor.MaxConns(3, []byte("server full\n")))
	var kept []net.Conn
	for i := 0; i < 3; i++ {
		kept = append(kept, dial(t, l.Addr()))
		p.next(t, isOpened)
	}
	extra := dial(t, l.Addr())
	got, err := io.ReadAll(extra)
	require.NoError(t, err)
	require.Equal(t, "server full\n", string(got))
	require.Equal(t, uint64(1), l.Refused())
	require.Equal(t, 3, l.Open())

	kept[0].Close()
	p.next(t, isClosed)
	require.Eventually(t, func() bool { return l.Open() == 2 }, waitFor, time.Millisecond)
	again := dial(t, l.Addr())
	_, err = again.Write([]byte("room again\n"))
	require.NoError(t, err)
	require.Equal(t, "room again", readLine(t, bufio.NewReader(again)))
}

func TestIdleTimeoutClosesSilentConnections(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), lineEcho(p),
		actor.IdleTimeout(50*time.Millisecond))
	silent := dial(t, l.Addr())
	require.ErrorIs(t, closedErr(t, p), actor.ErrIdle)
	_, err := silent.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
}

// flood writes size bytes to its peer for every line it receives and reports
// Backpressure messages and write errors.
func flood(p *probe, size int) actor.Factory {
	chunk := make([]byte, size)
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().([]byte); ok {
			for i := 0; i < 64; i++ {
				if err := ctx.WriteBytes(chunk); err != nil {
					p.events <- event{id: ctx.Self(), msg: err}
					return
				}
			}
		}
	}
	return p.factory
}

// until collects a probe's events up to and including the first that
// matches last.
func until(t *testing.T, p *probe, last func(any) bool) []any {
	t.Helper()
	var got []any
	for {
		e := p.next(t, func(any) bool { return true })
		got = append(got, e.msg)
		if last(e.msg) {
			return got
		}
	}
}

func isBackpressure(m any) bool { _, ok := m.(actor.Backpressure); return ok }

// Each policy delivers exactly these messages once output passes the mark:
//   - DropWrites: the write is refused (ErrBackpressure), then
//     Backpressure{High: true}; once drained under half the mark,
//     Backpressure{High: false}.
//   - Disconnect: the write that passes the mark returns ErrSlowConsumer and
//     the connection is reset at once: Closed{ErrSlowConsumer} follows, with
//     no Backpressure (there is nothing left to pause).
//   - KeepWrites: Backpressure{High: true}; writes go on until MaxBuffered,
//     where the write returns ErrSlowConsumer and Closed{ErrSlowConsumer}
//     follows.
func TestHighWaterPolicies(t *testing.T) {
	const mark = 256 << 10
	tests := []struct {
		name   string
		policy actor.WritePolicy
		check  func(t *testing.T, p *probe, c net.Conn)
	}{
		{name: "drop", policy: actor.DropWrites, check: func(t *testing.T, p *probe, c net.Conn) {
			// the refused write (reported during the delivery) comes before
			// the Backpressure message (queued behind it)
			p.next(t, func(m any) bool { err, ok := m.(error); return ok && err == actor.ErrBackpressure })
			bp := p.next(t, isBackpressure)
			require.True(t, bp.msg.(actor.Backpressure).High)
			// the reader catches up: the actor hears the output drained
			go io.Copy(io.Discard, c)
			drained := p.next(t, func(m any) bool { b, ok := m.(actor.Backpressure); return ok && !b.High })
			require.Less(t, drained.msg.(actor.Backpressure).Buffered, mark/2)
		}},
		{name: "disconnect", policy: actor.Disconnect, check: func(t *testing.T, p *probe, c net.Conn) {
			got := until(t, p, isClosed)
			require.Len(t, got, 3, "the frame, the write's error, then Closed: %v", got)
			require.Equal(t, "x", got[0])
			require.ErrorIs(t, got[1].(error), actor.ErrSlowConsumer)
			require.ErrorIs(t, got[2].(actor.Closed).Err, actor.ErrSlowConsumer)
		}},
		{name: "keep", policy: actor.KeepWrites, check: func(t *testing.T, p *probe, c net.Conn) {
			bp := p.next(t, isBackpressure)
			require.True(t, bp.msg.(actor.Backpressure).High)
			// keeps writing past the mark until the hard cap, then closes
			_, err := c.Write([]byte{0, 0, 0, 1, 'x', 0, 0, 0, 1, 'x', 0, 0, 0, 1, 'x', 0, 0, 0, 1, 'x'})
			require.NoError(t, err)
			got := until(t, p, isClosed)
			require.ErrorIs(t, got[len(got)-2].(error), actor.ErrSlowConsumer, "the write past the cap fails: %v", got)
			require.ErrorIs(t, got[len(got)-1].(actor.Closed).Err, actor.ErrSlowConsumer)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProbe()
			// Small socket buffers, so the kernel takes little of the output
			// and the marks count what the server holds.
			small := actor.Socket(actor.SocketOptions{SendBuffer: 32 << 10})
			_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.LengthField(4)), flood(p, 16<<10),
				actor.HighWater(mark, tt.policy), actor.MaxBuffered(6*mark), small)
			c := dial(t, l.Addr())
			require.NoError(t, c.(*net.TCPConn).SetReadBuffer(32<<10))
			p.next(t, isOpened)
			_, err := c.Write([]byte{0, 0, 0, 1, 'x'}) // one frame: the actor writes 1 MiB
			require.NoError(t, err)
			tt.check(t, p, c)
		})
	}
}

// Socket options apply to accepted and dialled connections, which work as
// before; negative ones are refused.
func TestSocketOptions(t *testing.T) {
	opts := actor.Socket(actor.SocketOptions{KeepAlive: 30 * time.Second, RecvBuffer: 64 << 10, SendBuffer: 64 << 10})
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory, opts)
	requireServed(t, l.Addr())
	got := make(chan []byte, 1)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	id, err := sys.Dial(ctx, l.Addr().String(), codec.Bytes(codec.Line()), func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.Opened:
				ctx.WriteBytes([]byte("over a tuned socket"))
			case []byte:
				got <- bytes.Clone(m)
			}
		})
	}, actor.Socket(actor.SocketOptions{Nagle: true}))
	require.NoError(t, err)
	require.NotZero(t, id)
	require.Equal(t, "over a tuned socket", string(<-got))

	_, err = sys.Listen("tcp://127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory, actor.Socket(actor.SocketOptions{RecvBuffer: -1}))
	require.Error(t, err)
	_, err = sys.Dial(ctx, l.Addr().String(), codec.Bytes(codec.Line()), echoFactory, actor.Socket(actor.SocketOptions{KeepAlive: -time.Second}))
	require.Error(t, err)
}
