package actor_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

func TestOpenedMessagesClosedInOrderExactlyOnce(t *testing.T) {
	p := newProbe()
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory, actor.Shards(2))
	c := dial(t, l.Addr())
	_, err := c.Write([]byte("one\ntwo\nthree\n"))
	require.NoError(t, err)
	opened := p.next(t, func(any) bool { return true })
	require.Equal(t, actor.Opened{}, opened.msg)
	for _, want := range []string{"one", "two", "three"} {
		e := p.next(t, func(any) bool { return true })
		require.Equal(t, want, e.msg)
		require.Equal(t, opened.id, e.id)
	}
	require.NoError(t, c.Close())
	closed := p.next(t, func(any) bool { return true })
	require.Equal(t, actor.Closed{}, closed.msg, "clean peer close has a nil Err")
	require.Equal(t, opened.id, closed.id)

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, sys.Stop(ctx))
	close(p.events)
	for e := range p.events {
		t.Fatalf("event after Closed: %#v", e)
	}
}

func TestActorClosesAfterFlushing(t *testing.T) {
	p := newProbe()
	late := make(chan error, 1) // what the write after Close returned, asserted below
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok && string(b) == "bye" {
			ctx.Write("see you")
			ctx.Close()
			late <- ctx.Write("too late")
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory)
	c := dial(t, l.Addr())
	_, err := c.Write([]byte("bye\nignored after close\n"))
	require.NoError(t, err)
	r := bufio.NewReader(c)
	require.ErrorIs(t, recv(t, late), actor.ErrClosed)
	require.Equal(t, "see you", readLine(t, r))
	_, err = r.ReadByte()
	require.ErrorIs(t, err, io.EOF)
	e := p.next(t, isClosed)
	require.NoError(t, e.msg.(actor.Closed).Err)
}

func TestStopFlushesWrittenDataThenCloses(t *testing.T) {
	const size = 4 << 20
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.WriteBytes(make([]byte, size))
		}
	}
	sys, err := actor.NewSystem()
	require.NoError(t, err)
	l, err := sys.Listen("127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory)
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	c := dial(t, l.Addr())
	p.next(t, isOpened)

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		stopped <- sys.Stop(ctx)
	}()
	n, err := io.Copy(io.Discard, c) // reads until the server closes
	require.NoError(t, err)
	require.Equal(t, int64(size), n, "every written byte arrives before the close")
	require.NoError(t, <-stopped)
	e := p.next(t, isClosed)
	require.ErrorIs(t, e.msg.(actor.Closed).Err, actor.ErrShutdown)
}

func TestStopDeadlineClosesSlowConnections(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.WriteBytes(make([]byte, 32<<20)) // more than the socket buffers hold
		}
	}
	fds := countFDs(t)
	sys, err := actor.NewSystem()
	require.NoError(t, err)
	l, err := sys.Listen("127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory)
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	c := dial(t, l.Addr()) // never reads
	p.next(t, isOpened)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, sys.Stop(ctx), context.DeadlineExceeded)
	e := p.next(t, isClosed)
	require.ErrorIs(t, e.msg.(actor.Closed).Err, actor.ErrShutdown)
	c.Close()
	require.Eventually(t, func() bool { return countFDs(t) <= fds }, waitFor, 10*time.Millisecond)
	require.ErrorIs(t, sys.Stop(context.Background()), actor.ErrStopped)
	_, err = sys.Listen("127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory)
	require.ErrorIs(t, err, actor.ErrStopped, "Listen fails like Send, Spawn and Dial")
	require.ErrorIs(t, sys.Send(actor.ID(1), "x"), actor.ErrStopped)
}

func TestPanicClosesOnlyThatConnection(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok {
			if string(b) == "boom" {
				panic(errors.New("kaboom"))
			}
			ctx.WriteBytes(b)
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory)
	good, bad := dial(t, l.Addr()), dial(t, l.Addr())
	_, err := bad.Write([]byte("boom\n"))
	require.NoError(t, err)
	e := p.next(t, isClosed)
	var pe *actor.PanicError
	require.ErrorAs(t, e.msg.(actor.Closed).Err, &pe)
	require.Equal(t, "kaboom", pe.Unwrap().Error())
	require.NotEmpty(t, pe.Stack)
	_, err = bad.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)

	_, err = good.Write([]byte("still here\n"))
	require.NoError(t, err)
	require.Equal(t, "still here", readLine(t, bufio.NewReader(good)))
}

// An actor that closes its connection while the shard decodes frames from
// a buffer that held a partial frame (the buffer is released by the close)
// ends the connection cleanly: once with Close, once with CloseWith.
func TestCloseWhileDecodingBufferedFrames(t *testing.T) {
	for _, with := range []bool{false, true} {
		t.Run(fmt.Sprint("CloseWith=", with), func(t *testing.T) {
			p := newProbe()
			p.onMsg = func(ctx *actor.Context) {
				if b, ok := ctx.Message().([]byte); ok && string(b) == "bye" {
					if with {
						ctx.CloseWith(errors.New("bye"))
					} else {
						ctx.Close()
					}
				}
			}
			_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory)
			c := dial(t, l.Addr())
			p.next(t, isOpened)
			_, err := c.Write([]byte("par")) // a partial frame: the shard keeps it in a buffer
			require.NoError(t, err)
			time.Sleep(50 * time.Millisecond) // so it is read alone (the test passes either way)
			_, err = c.Write([]byte("tial\nbye\nmore\nand more\n"))
			require.NoError(t, err)
			require.Equal(t, "partial", p.next(t, func(m any) bool { _, ok := m.(string); return ok }).msg)
			p.next(t, isClosed)
			_, err = io.ReadAll(c)
			require.NoError(t, err)
		})
	}
}
