package actor_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/stretchr/testify/require"
)

func rawEcho(p *probe) {
	p.onMsg = func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case []byte, codec.Text:
			ctx.Write(m)
		}
	}
}

// A Shoal dial over tls:// to a Shoal tls:// listener, and to a crypto/tls
// server, with the lifecycle of plain TCP.
func TestTLSDial(t *testing.T) {
	pki := newPKI(t)
	srv := newProbe()
	rawEcho(srv)
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), srv.factory, actor.TLS(pki.serverConfig()))

	cl := newProbe()
	cl.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.Write("ping")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	id, err := sys.Dial(ctx, "tls://"+l.Addr().String(), codec.Bytes(codec.Line()), cl.factory, actor.TLS(pki.clientConfig()))
	require.NoError(t, err)
	o := cl.next(t, isOpened)
	require.Equal(t, id, o.id)
	st := o.msg.(actor.Opened).TLS
	require.NotNil(t, st)
	require.Equal(t, "127.0.0.1", st.PeerCertificates[0].Subject.CommonName)
	require.Equal(t, "ping", cl.next(t, func(m any) bool { return m == "ping" }).msg)

	// Without the CA the server's certificate is refused: Dial fails with
	// a TLSError wrapping the verification error, and no actor is made.
	_, err = sys.Dial(ctx, "tls://"+l.Addr().String(), codec.Bytes(codec.Line()), cl.factory, actor.TLS(&tls.Config{}))
	require.ErrorIs(t, err, actor.ErrTLS)
	var te *actor.TLSError
	require.ErrorAs(t, err, &te)
	var uerr x509.UnknownAuthorityError
	require.ErrorAs(t, err, &uerr)

	// To a crypto/tls server.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", pki.serverConfig())
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	cl2 := newProbe()
	cl2.onMsg = cl.onMsg
	_, err = sys.Dial(ctx, "tls://"+ln.Addr().String(), codec.Bytes(codec.Line()), cl2.factory, actor.TLS(pki.clientConfig()))
	require.NoError(t, err)
	require.Equal(t, "ping", cl2.next(t, func(m any) bool { return m == "ping" }).msg)

	// The TLS option on a plain address is refused.
	_, err = sys.Dial(ctx, "tcp://"+ln.Addr().String(), codec.Bytes(codec.Line()), cl2.factory, actor.TLS(pki.clientConfig()))
	require.ErrorIs(t, err, actor.ErrBadOption)
}

// wss:// both ways: a gorilla client and a Shoal dial against a Shoal
// wss:// listener.
func TestTLSWebSocket(t *testing.T) {
	pki := newPKI(t)
	srv := newProbe()
	rawEcho(srv)
	sys, l := startSystem(t, "wss://127.0.0.1:0", websocket.Raw(websocket.Options{Path: "/ws"}), srv.factory, actor.TLS(pki.serverConfig()))

	d := gorilla.Dialer{TLSClientConfig: pki.clientConfig(), HandshakeTimeout: waitFor}
	c, _, err := d.Dial("wss://"+l.Addr().String()+"/ws", nil)
	require.NoError(t, err)
	defer c.Close()
	o := srv.next(t, isOpened).msg.(actor.Opened)
	require.NotNil(t, o.TLS)
	up, ok := o.Info.(*websocket.Upgrade)
	require.True(t, ok, "Info is the upgrade: %T", o.Info)
	require.Equal(t, "/ws", up.Request.URL.Path)
	require.NoError(t, c.WriteMessage(gorilla.TextMessage, []byte("hello")))
	_, b, err := c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))

	cl := newProbe()
	cl.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().(actor.Opened); ok {
			ctx.Write(codec.Text("from shoal"))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err = sys.Dial(ctx, "wss://"+l.Addr().String()+"/ws", websocket.Raw(websocket.Options{}), cl.factory, actor.TLS(pki.clientConfig()))
	require.NoError(t, err)
	require.NotNil(t, cl.next(t, isOpened).msg.(actor.Opened).TLS)
	got := cl.next(t, func(m any) bool { _, ok := m.(codec.Text); return ok })
	require.Equal(t, "from shoal", string(got.msg.(codec.Text)))
}

func TestTLSALPNAndMutual(t *testing.T) {
	pki := newPKI(t)
	cfg := pki.serverConfig()
	cfg.NextProtos = []string{"shoal/1", "http/1.1"}
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = pki.ca.Pool
	p := newProbe()
	rawEcho(p)
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(cfg))

	ccfg := pki.clientConfig()
	ccfg.NextProtos = []string{"shoal/1"}
	ccfg.Certificates = []tls.Certificate{pki.client.TLS}
	c := tlsDial(t, l.Addr(), ccfg)
	require.Equal(t, "shoal/1", c.ConnectionState().NegotiatedProtocol)
	_, err := c.Write([]byte("x"))
	require.NoError(t, err)
	o := p.next(t, isOpened).msg.(actor.Opened)
	require.Equal(t, "shoal/1", o.TLS.NegotiatedProtocol)
	require.Equal(t, "alice", o.TLS.PeerCertificates[0].Subject.CommonName)

	// Without a client certificate: refused, no actor, counted.
	before := sumStats(sys).TLSFailures
	nocert := pki.clientConfig()
	bad, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", l.Addr().String(), nocert)
	if err == nil { // TLS 1.3: the client learns of the refusal on its first read
		bad.SetDeadline(time.Now().Add(waitFor))
		_, err = bad.Read(make([]byte, 1))
		bad.Close()
	}
	require.Error(t, err)
	require.Eventually(t, func() bool { return sumStats(sys).TLSFailures == before+1 }, waitFor, time.Millisecond)
	select {
	case e := <-p.events:
		if isOpened(e.msg) {
			t.Fatalf("the refused client got an actor")
		}
	default:
	}
}

func TestTLSResumption(t *testing.T) {
	pki := newPKI(t)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			p := newProbe()
			rawEcho(p)
			sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(pki.serverConfig()))
			cfg := pki.clientConfig()
			cfg.MaxVersion = v
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			for i, want := range []bool{false, true} {
				c := tlsDial(t, l.Addr(), cfg)
				// TLS 1.3 tickets come after the handshake: read an echo so
				// the client has taken them.
				_, err := c.Write([]byte("x"))
				require.NoError(t, err)
				_, err = io.ReadFull(c, make([]byte, 1))
				require.NoError(t, err)
				require.Equal(t, want, c.ConnectionState().DidResume, "connection %d", i)
				o := p.next(t, isOpened).msg.(actor.Opened)
				require.Equal(t, want, o.TLS.DidResume)
				c.Close()
			}
			require.Eventually(t, func() bool { s := sumStats(sys); return s.TLSResumed == 1 && s.TLSHandshakes == 2 }, waitFor, time.Millisecond)
		})
	}
}

// GetCertificate serves a new certificate without a restart.
func TestTLSCertificateReload(t *testing.T) {
	pki := newPKI(t)
	next, err := pki.ca.Server("127.0.0.1")
	require.NoError(t, err)
	var cur atomic.Pointer[tls.Certificate]
	cur.Store(&pki.server.TLS)
	cfg := &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cur.Load(), nil }}
	p := newProbe()
	_, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(cfg))
	serial := func() string {
		c := tlsDial(t, l.Addr(), pki.clientConfig())
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first := serial()
	cur.Store(&next.TLS)
	second := serial()
	require.NotEqual(t, first, second)
	require.Equal(t, next.TLS.Leaf.SerialNumber.String(), second)
}

// hostile peers: each closes only its own connection, with a typed error,
// counted, while an established connection keeps echoing.
func TestTLSHostilePeers(t *testing.T) {
	pki := newPKI(t)
	p := newProbe()
	rawEcho(p)
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory,
		actor.TLS(pki.serverConfig()), actor.TLSHandshakeTimeout(300*time.Millisecond))
	good := tlsDial(t, l.Addr(), pki.clientConfig())
	echo := func() {
		t.Helper()
		_, err := good.Write([]byte("ok"))
		require.NoError(t, err)
		b := make([]byte, 2)
		_, err = io.ReadFull(good, b)
		require.NoError(t, err)
		require.Equal(t, "ok", string(b))
	}
	echo()
	p.next(t, isOpened)
	hello := recordHello(t, pki)

	cases := []struct {
		name string
		send func(c net.Conn)
	}{
		{"garbage", func(c net.Conn) { c.Write([]byte("\x00\x01garbage garbage garbage")) }},
		{"nothing", func(c net.Conn) {}},
		{"trickle", func(c net.Conn) { // one byte per 100 ms: never a whole hello in time
			for i := 0; i < 8; i++ {
				if _, err := c.Write(hello[i : i+1]); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}},
		{"oversized record", func(c net.Conn) { c.Write([]byte{22, 3, 1, 0xff, 0xff}) }},
		{"not a hello", func(c net.Conn) { c.Write([]byte{22, 3, 1, 0, 4, 2, 0, 0, 0}) }},
		{"truncated hello", func(c net.Conn) { c.Write(hello[:len(hello)/2]); c.(*net.TCPConn).CloseWrite() }},
		{"corrupt hello", func(c net.Conn) {
			b := append([]byte(nil), hello...)
			for i := 9; i < len(b); i += 7 {
				b[i] ^= 0x5a
			}
			c.Write(b)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := sumStats(sys).TLSFailures
			c := dial(t, l.Addr())
			tc.send(c)
			c.SetReadDeadline(time.Now().Add(waitFor))
			_, err := io.ReadAll(c) // the server closes it
			if err != nil {
				var ne net.Error
				require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server did not close it")
			}
			require.Eventually(t, func() bool { return sumStats(sys).TLSFailures == before+1 }, waitFor, time.Millisecond)
			echo()
		})
	}
	for {
		select {
		case e := <-p.events:
			require.False(t, isOpened(e.msg), "a hostile peer reached an actor")
			continue
		default:
		}
		break
	}
}

// After the handshake: a corrupt record and a record cut by the peer's
// close each end the connection with a TLSError.
func TestTLSBadRecords(t *testing.T) {
	pki := newPKI(t)
	for _, tc := range []struct {
		name string
		hurt func(raw net.Conn)
		want error
	}{
		{"corrupt record", func(raw net.Conn) {
			raw.Write([]byte{23, 3, 3, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
		}, nil},
		{"oversized record", func(raw net.Conn) { raw.Write([]byte{23, 3, 3, 0xff, 0xff}) }, nil},
		{"cut record", func(raw net.Conn) { raw.Write([]byte{23, 3, 3, 0, 40, 1, 2, 3}); raw.(*net.TCPConn).CloseWrite() }, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProbe()
			rawEcho(p)
			sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(pki.serverConfig()))
			raw := dial(t, l.Addr())
			c := tls.Client(raw, pki.clientConfig())
			require.NoError(t, c.Handshake())
			_, err := c.Write([]byte("x"))
			require.NoError(t, err)
			_, err = io.ReadFull(c, make([]byte, 1))
			require.NoError(t, err)
			tc.hurt(raw)
			err = p.next(t, isClosed).msg.(actor.Closed).Err
			require.ErrorIs(t, err, actor.ErrTLS)
			var te *actor.TLSError
			require.ErrorAs(t, err, &te)
			require.Equal(t, "read", te.Op)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
			require.Eventually(t, func() bool { return sumStats(sys).TLSFailures == 1 }, waitFor, time.Millisecond)
		})
	}
}

// recordHello returns the first flight a crypto/tls client sends.
func recordHello(t *testing.T, pki *testPKI) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		c := tls.Client(b, pki.clientConfig())
		c.SetDeadline(time.Now().Add(waitFor))
		c.Handshake()
		b.Close()
	}()
	buf := make([]byte, 64<<10)
	a.SetReadDeadline(time.Now().Add(waitFor))
	n, err := a.Read(buf)
	require.NoError(t, err)
	return buf[:n]
}

// Past TLSHandshakes' max, a new connection waits for a place: a peer that
// sent its hello and stalls holds the only one until it goes away; the next
// connection's handshake then runs.
func TestTLSHandshakeCap(t *testing.T) {
	pki := newPKI(t)
	p := newProbe()
	rawEcho(p)
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory,
		actor.TLS(pki.serverConfig()), actor.TLSHandshakes(1, 1))
	stall := dial(t, l.Addr())
	_, err := stall.Write(recordHello(t, pki))
	require.NoError(t, err)
	stats := func() actor.ShardStats { return sys.Stats()[0] }
	require.Eventually(t, func() bool { return stats().TLSRunning == 1 }, waitFor, time.Millisecond)

	done := make(chan error, 1)
	go func() {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", l.Addr().String(), pki.clientConfig())
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return stats().TLSWaiting == 1 }, waitFor, time.Millisecond, "the second handshake waits")
	select {
	case err := <-done:
		t.Fatalf("the second handshake ended while the first held the only place: %v", err)
	default:
	}
	time.Sleep(100 * time.Millisecond) // not a timing assertion: a chance for a wrong start to show
	select {
	case err := <-done:
		t.Fatalf("the second handshake ended while the first held the only place: %v", err)
	default:
	}
	require.NoError(t, stall.Close())
	require.NoError(t, <-done, "it ran once the stalled one went away")
	require.Eventually(t, func() bool {
		st := stats()
		return st.TLSWaiting == 0 && st.TLSRunning == 0 && st.TLSFailures == 1 && st.TLSHandshakes == 1
	}, waitFor, time.Millisecond)
}

// A flood of handshakes does not stall an established connection's echo,
// and a stop in the middle of it leaks nothing (startSystem checks).
func TestTLSHandshakeFlood(t *testing.T) {
	pki := newPKI(t)
	p := newProbe()
	rawEcho(p)
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(pki.serverConfig()), actor.Shards(2))
	good := tlsDial(t, l.Addr(), pki.clientConfig())
	stop := make(chan struct{})
	flooded := make(chan int, 8)
	for i := 0; i < 8; i++ {
		go func() {
			n := 0
			defer func() { flooded <- n }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", l.Addr().String(), pki.clientConfig())
				if err != nil {
					continue
				}
				c.Close()
				n++
			}
		}()
	}
	b := make([]byte, 4)
	for i := 0; i < 200; i++ {
		_, err := good.Write([]byte("ping"))
		require.NoError(t, err)
		_, err = io.ReadFull(good, b)
		require.NoError(t, err)
	}
	close(stop)
	total := 0
	for i := 0; i < 8; i++ {
		total += <-flooded
	}
	require.Positive(t, total)
	require.Positive(t, sumStats(sys).TLSHandshakes)
}

// Stop while handshakes wait for their peers: no goroutine or descriptor
// is left (startSystem's cleanup checks).
func TestTLSStopMidHandshake(t *testing.T) {
	pki := newPKI(t)
	p := newProbe()
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(pki.serverConfig()), actor.TLSHandshakes(1, 2))
	hello := recordHello(t, pki)
	for i := 0; i < 4; i++ { // two run, two wait
		c := dial(t, l.Addr())
		_, err := c.Write(hello)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { s := sys.Stats()[0]; return s.TLSRunning == 2 && s.TLSWaiting == 2 }, waitFor, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, sys.Stop(ctx))
	require.Equal(t, uint64(4), sys.Stats()[0].TLSFailures)
}
