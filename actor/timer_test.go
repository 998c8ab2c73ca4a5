package actor_test

import (
	"bufio"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

type tick struct{}

func TestTimersAfterEveryCancel(t *testing.T) {
	p := newProbe()
	// What the actor's calls returned, sent to the test goroutine and
	// asserted there.
	type opened struct {
		every, zeroPeriod, negPeriod    error // Every(2ms), Every(0), Every(-1s)
		afterErr, negAfter              error // After(1ms), After(-1s)
		cancel, cancelAgain, cancelZero bool  // Cancel of a pending timer, of it again, of the zero Timer
	}
	openedc := make(chan opened, 1)
	stopped := make(chan bool, 1) // Cancel(every) on "stop ticking"
	var every actor.Timer
	p.onMsg = func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case actor.Opened:
			var o opened
			_, o.afterErr = ctx.After(time.Millisecond, "once")
			_, o.negAfter = ctx.After(-time.Second, "never")
			every, o.every = ctx.Every(2*time.Millisecond, tick{})
			_, o.zeroPeriod = ctx.Every(0, "never")
			_, o.negPeriod = ctx.Every(-time.Second, "never")
			cancelled, _ := ctx.After(time.Millisecond, "cancelled")
			o.cancel = ctx.Cancel(cancelled)
			o.cancelAgain = ctx.Cancel(cancelled)
			o.cancelZero = ctx.Cancel(actor.Timer{})
			openedc <- o
		case string:
			ctx.Write(m)
		case tick:
			ctx.Write("tick")
		case []byte:
			if string(m) == "stop ticking" {
				stopped <- ctx.Cancel(every)
				ctx.Write("stopped")
			}
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory)
	c := dial(t, l.Addr())
	o := recv(t, openedc)
	require.NoError(t, o.every)
	require.NoError(t, o.afterErr)
	require.ErrorIs(t, o.negAfter, actor.ErrBadDuration)
	require.ErrorIs(t, o.zeroPeriod, actor.ErrBadDuration)
	require.ErrorIs(t, o.negPeriod, actor.ErrBadDuration)
	require.True(t, o.cancel)
	require.False(t, o.cancelAgain)
	require.False(t, o.cancelZero)
	r := bufio.NewReader(c)
	seen := map[string]int{}
	for seen["tick"] < 3 || seen["once"] < 1 {
		seen[readLine(t, r)]++
	}
	require.Equal(t, 1, seen["once"])
	require.Zero(t, seen["cancelled"])
	_, err := c.Write([]byte("stop ticking\n"))
	require.NoError(t, err)
	require.True(t, recv(t, stopped))
	for readLine(t, r) != "stopped" {
	}
	// after "stopped", the only thing that may still arrive is nothing: the
	// connection is closed by the client and the server sees a clean close.
	c.Close()
	require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err)
}

func TestTimersDieWithTheirActorAndCostNoGoroutines(t *testing.T) {
	const timers = 100_000
	armed := make(chan struct{})
	var first sync.Once
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			first.Do(func() { arm(ctx, timers, armed) })
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory)
	before := runtime.NumGoroutine()
	c := dial(t, l.Addr())
	<-armed
	require.LessOrEqual(t, runtime.NumGoroutine(), before+3, "timers must not cost goroutines")
	// the loop stays responsive: a second connection is opened while the
	// first one's 100 001 timers wait
	dial(t, l.Addr())
	p.next(t, isOpened)
	p.next(t, isOpened)
	c.Close()
	require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err)
}

// arm schedules n far timers and a fast periodic one for ctx's actor.
func arm(ctx *actor.Context, n int, armed chan struct{}) {
	for i := 0; i < n; i++ {
		if _, err := ctx.After(time.Hour+time.Duration(i), i); err != nil {
			panic(err)
		}
	}
	if _, err := ctx.Every(time.Millisecond, tick{}); err != nil {
		panic(err)
	}
	close(armed)
}
