package actor_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// waitFor is how long a test waits for a condition before failing. Generous:
// the machine is small and noisy, and nothing here asserts a duration.
const waitFor = 20 * time.Second

// event is what a probe actor saw.
type event struct {
	id  actor.ID
	msg any
}

// probe records every message its actors receive (copying wire bytes) and
// lets a test script their behaviour.
type probe struct {
	events chan event
	onMsg  func(ctx *actor.Context) // optional extra behaviour
}

func newProbe() *probe { return &probe{events: make(chan event, 4096)} }

func (p *probe) factory() actor.Actor {
	return actor.ReceiveFunc(func(ctx *actor.Context) {
		msg := ctx.Message()
		switch b := msg.(type) {
		case []byte:
			msg = string(b)
		case codec.Text: // aliases the read buffer too
			msg = codec.Text(append([]byte(nil), b...))
		}
		p.events <- event{id: ctx.Self(), msg: msg}
		if p.onMsg != nil {
			p.onMsg(ctx)
		}
	})
}

// next returns the next event whose message matches want (by type), skipping
// others.
func (p *probe) next(t *testing.T, match func(any) bool) event {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case e := <-p.events:
			if match(e.msg) {
				return e
			}
		case <-deadline:
			t.Fatalf("probe: no matching event within %v", waitFor)
		}
	}
}

func isOpened(m any) bool { _, ok := m.(actor.Opened); return ok }
func isClosed(m any) bool { _, ok := m.(actor.Closed); return ok }

// echoActor writes back every frame.
type echoActor struct{}

func (echoActor) Receive(ctx *actor.Context) {
	if b, ok := ctx.Message().([]byte); ok {
		ctx.WriteBytes(b)
	}
}

func echoFactory() actor.Actor { return echoActor{} }

// startSystem starts a system with one listener and stops it at cleanup,
// checking that no goroutine or descriptor leaked. opts are actor.Option
// (for the system) and actor.ConnOption (for the listener) values.
func startSystem(t *testing.T, addr string, c codec.Codec, f actor.Factory, opts ...any) (*actor.System, *actor.Listener) {
	t.Helper()
	fds := countFDs(t)
	before := goleak.IgnoreCurrent() // what ran before this system
	var sysOpts []actor.Option
	var lisOpts []actor.ConnOption
	for _, o := range opts {
		switch o := o.(type) {
		case actor.Option:
			sysOpts = append(sysOpts, o)
		case actor.ConnOption:
			lisOpts = append(lisOpts, o)
		default:
			t.Fatalf("startSystem: option of type %T", o)
		}
	}
	sys, err := actor.NewSystem(sysOpts...)
	require.NoError(t, err)
	l, err := sys.Listen(addr, c, f, lisOpts...)
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := sys.Stop(ctx); !errors.Is(err, actor.ErrStopped) { // the test may have stopped it
			require.NoError(t, err)
		}
		goleak.VerifyNone(t, before)
		require.Eventually(t, func() bool { return countFDs(t) <= fds }, waitFor, 10*time.Millisecond,
			"descriptors leaked: %d before, %d after", fds, countFDs(t))
	})
	return sys, l
}

// countFDs counts this process's open descriptors.
func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

func dial(t *testing.T, addr net.Addr) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(addr.Network(), addr.String(), waitFor)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(waitFor)))
	t.Cleanup(func() { c.Close() })
	return c
}

// dialFrom dials addr from a chosen loopback source address.
func dialFrom(t *testing.T, addr net.Addr, src string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: waitFor, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr.String())
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(waitFor)))
	t.Cleanup(func() { c.Close() })
	return c
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	s, err := r.ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSuffix(s, "\n")
}

// requireClosed checks that err is how a read ends once the server closed
// the connection: end of stream, or a reset when the server closed with
// bytes of ours still unread.
func requireClosed(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	if errors.Is(err, syscall.ECONNRESET) {
		return
	}
	require.ErrorIs(t, err, io.EOF, msgAndArgs...)
}

// recv returns the next value from ch, failing the test if none comes
// within waitFor. Test goroutine only.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("nothing received within %v", waitFor)
		panic("unreachable")
	}
}
