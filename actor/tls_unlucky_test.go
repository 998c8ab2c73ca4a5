package actor_test

// TLS on the shards in unlucky orders of events (found in the review of
// issue 11).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// handshakeGoroutines counts the goroutines running a TLS handshake (the
// shard labels them shoal.tls=handshake).
func handshakeGoroutines(t *testing.T) int {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, pprof.Lookup("goroutine").WriteTo(&buf, 1))
	n, count := 0, 0
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, " @ 0x"); i > 0 {
			count, _ = strconv.Atoi(line[:i])
			continue
		}
		if strings.HasPrefix(line, "# labels:") && strings.Contains(line, `"shoal.tls":"handshake"`) {
			n += count
		}
	}
	return n
}

// shardBlocker is a spawned actor that blocks its shard on "block" until
// release is closed (a test stand-in for a shard busy for a while).
func shardBlocker(blocked chan<- struct{}, release <-chan struct{}) actor.Factory {
	var once sync.Once
	return func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if ctx.Message() == "block" {
				once.Do(func() { close(blocked) })
				<-release
			}
		})
	}
}

// A handshake's outcome reaches its shard however long the shard's inbox
// stays full (it waited a second once, then gave up, and the place was lost
// for good: with TLSHandshakes(_, 1) every later TLS connection waited in
// TLSWaiting until its timeout).
func TestTLSHandshakePlaceSurvivesFullInbox(t *testing.T) {
	pki := newPKI(t)
	inHello := make(chan struct{})
	proceed := make(chan struct{})
	var helloOnce sync.Once
	cfg := &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		first := false
		helloOnce.Do(func() { first = true; close(inHello) })
		if first {
			<-proceed
		}
		return &pki.server.TLS, nil
	}}
	p := newProbe()
	rawEcho(p)
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory,
		actor.TLS(cfg), actor.TLSHandshakes(1, 1), actor.TLSHandshakeTimeout(3*time.Second),
		actor.SendWait(10*time.Millisecond))
	blocked, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	b, err := sys.Spawn(shardBlocker(blocked, release))
	require.NoError(t, err)

	// The first client's handshake starts and holds the only place.
	first := make(chan error, 1)
	go func() {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", l.Addr().String(), pki.clientConfig())
		if err == nil {
			c.Close()
		}
		first <- err
	}()
	recv(t, inHello)

	// The shard gets busy, and its inbox fills up meanwhile.
	require.NoError(t, sys.Send(b, "block"))
	recv(t, blocked)
	for i := 0; ; i++ {
		if err := sys.Send(b, i); err != nil {
			require.ErrorIs(t, err, actor.ErrInboxFull)
			break
		}
	}
	// The handshake goes on: its flight, then its outcome, cannot be
	// posted, and its goroutine gives up.
	close(proceed)
	// Wait for it to give up (postCall tries for a second, twice here),
	// but not for ever: a fixed shard may keep it waiting instead.
	for deadline := time.Now().Add(5 * time.Second); handshakeGoroutines(t) > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	unblock()
	<-first // the server never answered it; it ends with the timeout

	// The shard is idle again: a new handshake must run.
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", l.Addr().String(), pki.clientConfig())
	st := sys.Stats()[0]
	require.NoError(t, err, "a handshake after the busy spell (TLSRunning %d with no handshake goroutine, TLSWaiting %d)", st.TLSRunning, st.TLSWaiting)
	c.Close()
}

// A connection that waits for a handshake place (TLSWaiting) and closes
// before it gets one (its peer gives up, or its timeout ends) leaves the
// queue and the gauge at once.
func TestTLSWaitingGaugeDropsClosedConnections(t *testing.T) {
	pki := newPKI(t)
	p := newProbe()
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory,
		actor.TLS(pki.serverConfig()), actor.TLSHandshakes(1, 1))
	stats := func() actor.ShardStats { return sys.Stats()[0] }
	hello := recordHello(t, pki)
	stall := dial(t, l.Addr()) // holds the only place
	_, err := stall.Write(hello)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return stats().TLSRunning == 1 }, waitFor, time.Millisecond)
	queued := dial(t, l.Addr())
	_, err = queued.Write(hello)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return stats().TLSWaiting == 1 }, waitFor, time.Millisecond)
	require.NoError(t, queued.Close())
	require.Eventually(t, func() bool { return stats().TLSFailures == 1 }, waitFor, time.Millisecond, "the queued connection closed")
	require.Eventually(t, func() bool { return stats().TLSWaiting == 0 }, 5*time.Second, time.Millisecond,
		"TLSWaiting still counts the closed connection (it is %d)", stats().TLSWaiting)
}

// Stop returns ctx's error once ctx ends (a second of grace) even while a
// handshake is inside a crypto/tls callback that takes long (GetCertificate
// fetching a certificate, as autocert does): such a callback cannot be
// interrupted, so Stop does not wait for it past its context.
func TestTLSStopBoundedBySlowCallback(t *testing.T) {
	pki := newPKI(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var enterOnce, releaseOnce sync.Once
	cfg := &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		enterOnce.Do(func() { close(entered) })
		select {
		case <-release:
		case <-hi.Context().Done(): // what a careful callback does: never happens
		}
		return &pki.server.TLS, nil
	}}
	p := newProbe()
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(cfg))
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) }) // runs before startSystem's checks
	c := dial(t, l.Addr())
	_, err := c.Write(recordHello(t, pki))
	require.NoError(t, err)
	recv(t, entered)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- sys.Stop(ctx) }()
	select {
	case err := <-stopped:
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(waitFor):
		t.Fatalf("Stop did not return within %v of its context's end: it waits for a handshake stuck in GetCertificate", waitFor)
	}
}

// A Shoal Dial over TLS 1.2 whose configuration allows renegotiation
// (tls.RenegotiateOnceAsClient) to a server that asks for one (openssl
// s_server's "r" command sends a HelloRequest). A renegotiation would run a
// handshake inside Conn.Read, on the shard, where it cannot wait for its
// peer (it once left the connection neither working nor failing, its
// socket polled in a busy loop): Dial forces RenegotiateNever, crypto/tls
// answers no_renegotiation, and the connection goes on.
func TestTLSClientRenegotiationRefused(t *testing.T) {
	openssl := needTool(t, "openssl", ".ci/run installs Debian's openssl")
	pki := newPKI(t)
	dir := t.TempDir()
	cert, key, _, err := pki.ca.WriteFiles(dir, pki.server)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	srv := startChild(t, "", openssl, "s_server", "-accept", addr, "-cert", cert, "-key", key, "-tls1_2", "-naccept", "1")
	srv.waitOutput(t, "ACCEPT")

	sys, _ := startSystem(t, "tcp://127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
	cl := newProbe()
	cfg := pki.clientConfig()
	cfg.MaxVersion = tls.VersionTLS12
	cfg.Renegotiation = tls.RenegotiateOnceAsClient
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err = sys.Dial(ctx, "tls://"+addr, codec.Bytes(codec.Line()), cl.factory, actor.TLS(cfg))
	if errors.Is(err, actor.ErrBadOption) {
		return // refusing the setting is a fix too
	}
	require.NoError(t, err)
	cl.next(t, isOpened)
	_, err = srv.stdin.Write([]byte("before\n"))
	require.NoError(t, err)
	require.Equal(t, "before", cl.next(t, isString).msg)

	_, err = srv.stdin.Write([]byte("r\n")) // HelloRequest
	require.NoError(t, err)
	_, err = srv.stdin.Write([]byte("after\n"))
	require.NoError(t, err)
	// Either the renegotiation works and "after" arrives, or the connection
	// fails with a TLS error: anything but silence.
	deadline := time.After(10 * time.Second) // a bound for the test, not a duration assertion
	for {
		select {
		case e := <-cl.events:
			switch m := e.msg.(type) {
			case string:
				require.Equal(t, "after", m)
				return
			case actor.Closed:
				require.ErrorIs(t, m.Err, actor.ErrTLS)
				return
			}
			continue
		case <-deadline:
		}
		break
	}
	// Silence. The server goes away: at least then the actor must hear Closed.
	srv.stdin.Close()
	srv.cmd.Process.Kill()
	srv.wait(t)
	cpu0 := cpuTime()
	select {
	case e := <-cl.events:
		for !isClosed(e.msg) {
			e = recv(t, cl.events)
		}
		t.Fatalf("the renegotiation wedged the connection (nothing arrived and no error) until the server went away; then %v", e.msg)
	case <-time.After(waitFor):
		t.Fatalf("the renegotiation wedged the connection: no message, no error, and no Closed even after the server went away (the process used %v of CPU meanwhile)", time.Duration(cpuTime()-cpu0))
	}
}

// The same promise without any TLS callback: Stop(ctx) does not wait more
// than a second past ctx for a shard busy in an actor's Receive, also with
// a handshake under way on that shard (its goroutine parked in the
// transport's Read, which only that shard can fail).
func TestTLSStopBoundedByBusyShardWithHandshake(t *testing.T) {
	pki := newPKI(t)
	p := newProbe()
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(pki.serverConfig()))
	blocked, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) }) // before startSystem's checks
	b, err := sys.Spawn(shardBlocker(blocked, release))
	require.NoError(t, err)
	c := dial(t, l.Addr())
	_, err = c.Write(recordHello(t, pki)) // then silence: the handshake waits for the client's Finished
	require.NoError(t, err)
	require.Eventually(t, func() bool { return sys.Stats()[0].TLSRunning == 1 }, waitFor, time.Millisecond)
	require.NoError(t, sys.Send(b, "block"))
	recv(t, blocked)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- sys.Stop(ctx) }()
	select {
	case err := <-stopped:
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(waitFor):
		t.Fatalf("Stop did not return within %v of its context's end: it waits for a handshake goroutine that only the busy shard can end", waitFor)
	}
}

// TLSHandshakes(workers, max) splits max over the shards: with max 2 on two
// shards each runs one handshake and queues the next.
func TestTLSMaxHandshakesSplitOverShards(t *testing.T) {
	pki := newPKI(t)
	p := newProbe()
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory,
		actor.TLS(pki.serverConfig()), actor.TLSHandshakes(1, 2), actor.Shards(2))
	hello := recordHello(t, pki)
	for i := 0; i < 4; i++ { // round-robin: two on each shard
		c := dial(t, l.Addr())
		_, err := c.Write(hello)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		for _, s := range sys.Stats() {
			if s.TLSRunning != 1 || s.TLSWaiting != 1 {
				return false
			}
		}
		return true
	}, waitFor, time.Millisecond, "one running and one waiting on each shard: %+v", sys.Stats())
}

// A crypto/tls callback that panics (GetCertificate with a nil entry in a
// certificate store being reloaded, a VerifyPeerCertificate bug) fails that
// handshake only, as net/http's server does; the process and every other
// connection go on. The system runs in a child process (this test binary
// again) so that a crash would not take the test run down.
func TestTLSCallbackPanicFailsOnlyItsHandshake(t *testing.T) {
	if os.Getenv("SHOAL_REVIEW_PANIC_CHILD") == "1" {
		pki := newPKI(t)
		cfg := &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if hi.ServerName == "boom.example" {
				var store map[string]*tls.Certificate
				store[hi.ServerName] = nil // a bug in the application's certificate store
			}
			return &pki.server.TLS, nil
		}}
		p := newProbe()
		rawEcho(p)
		_, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(cfg))
		_, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", l.Addr().String(),
			&tls.Config{InsecureSkipVerify: true, ServerName: "boom.example"})
		require.Error(t, err, "that handshake fails")
		c := tlsDial(t, l.Addr(), pki.clientConfig()) // the others go on
		_, err = c.Write([]byte("ping"))
		require.NoError(t, err)
		b := make([]byte, 4)
		_, err = io.ReadFull(c, b)
		require.NoError(t, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestTLSCallbackPanicFailsOnlyItsHandshake$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SHOAL_REVIEW_PANIC_CHILD=1")
	out, err := cmd.CombinedOutput()
	if i := strings.Index(string(out), "panic: assignment to entry in nil map"); err != nil && i >= 0 {
		lines := strings.SplitN(string(out[i:]), "\n", 14)
		t.Fatalf("a panic in GetCertificate killed the process:\n%s", strings.Join(lines[:len(lines)-1], "\n"))
	}
	// Either way the child's own checks decide; its failure is reported here.
	require.NoError(t, err, "%s", out)
}
