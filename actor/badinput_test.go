package actor_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// closedErr waits for the next Closed and returns its Err.
func closedErr(t *testing.T, p *probe) error {
	t.Helper()
	return p.next(t, isClosed).msg.(actor.Closed).Err
}

// requireServed checks that a fresh connection is still echoed line by line.
func requireServed(t *testing.T, addr net.Addr) {
	t.Helper()
	c := dial(t, addr)
	_, err := c.Write([]byte("still serving\n"))
	require.NoError(t, err)
	require.Equal(t, "still serving", readLine(t, bufio.NewReader(c)))
	c.Close()
}

func lineEcho(p *probe) actor.Factory {
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok {
			ctx.WriteBytes(b)
		}
	}
	return p.factory
}

func TestOversizedLineClosesWithFrameError(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line(codec.MaxFrame(16))), lineEcho(p))
	c := dial(t, l.Addr())
	_, err := c.Write([]byte(strings.Repeat("x", 100)))
	require.NoError(t, err)
	err = closedErr(t, p)
	require.ErrorIs(t, err, codec.ErrFrameTooLarge)
	var fe *codec.FrameError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, 16, fe.Limit)
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	requireServed(t, l.Addr())
}

func TestLengthFieldGarbageClosesOnlyThatConnection(t *testing.T) {
	p := newProbe()
	framed := codec.Bytes(codec.LengthField(4, codec.MaxFrame(1024)))
	_, l := startSystem(t, "127.0.0.1:0", framed, lineEcho(p))
	c := dial(t, l.Addr())
	_, err := c.Write([]byte{0xff, 0xff, 0xff, 0xff, 'g', 'a', 'r', 'b'})
	require.NoError(t, err)
	require.ErrorIs(t, closedErr(t, p), codec.ErrFrameTooLarge)

	ok := dial(t, l.Addr())
	msg := binary.BigEndian.AppendUint32(nil, 5)
	msg = append(msg, "hello"...)
	_, err = ok.Write(msg)
	require.NoError(t, err)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(ok, got)
	require.NoError(t, err)
	require.Equal(t, msg, got)
}

func TestPeerVanishingMidFrameIsTruncated(t *testing.T) {
	p := newProbe()
	framed := codec.Bytes(codec.LengthField(4, codec.MaxFrame(1024)))
	_, l := startSystem(t, "127.0.0.1:0", framed, lineEcho(p))
	c := dial(t, l.Addr())
	msg := binary.BigEndian.AppendUint32(nil, 100)
	_, err := c.Write(append(msg, "only ten b"...))
	require.NoError(t, err)
	p.next(t, isOpened)
	require.NoError(t, c.Close())
	require.ErrorIs(t, closedErr(t, p), codec.ErrTruncated)
}

func TestHalfClosedPeerStillGetsItsEcho(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), lineEcho(p))
	c := dial(t, l.Addr())
	_, err := c.Write([]byte("last words"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, "last words", string(got))
	require.NoError(t, closedErr(t, p))
}

func TestConnectFloodLeavesServerServing(t *testing.T) {
	p := newProbe()
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), lineEcho(p), actor.Shards(2))
	const n = 400
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				return // the backlog may overflow; that is the client's problem
			}
			if i%2 == 0 {
				c.(*net.TCPConn).SetLinger(0) // reset instead of FIN
			} else {
				c.Write([]byte("partial line without end"))
			}
			c.Close()
		}(i)
	}
	wg.Wait()
	requireServed(t, l.Addr())
	require.Eventually(t, func() bool {
		var opened, closed uint64
		for _, s := range sys.Stats() {
			opened += s.Opened
			closed += s.Closed
		}
		return opened > 0 && opened == closed && openConns(sys) == 0
	}, waitFor, 5*time.Millisecond)
	for _, s := range sys.Stats() {
		require.Zero(t, s.PollErrors)
	}
	// every close carried either no error, a truncated frame or a reset
	for {
		select {
		case e := <-p.events:
			if c, ok := e.msg.(actor.Closed); ok && c.Err != nil {
				require.True(t, errors.Is(c.Err, codec.ErrTruncated) || strings.Contains(c.Err.Error(), "reset"), c.Err.Error())
			}
			continue
		default:
		}
		break
	}
}

// openConns returns the number of open connections across shards.
func openConns(sys *actor.System) int {
	n := 0
	for _, s := range sys.Stats() {
		n += s.Connections
	}
	return n
}
