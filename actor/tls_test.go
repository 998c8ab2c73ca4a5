package actor_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/internal/testcert"
	"github.com/stretchr/testify/require"
)

// testPKI is a CA with a server and a client certificate, made once.
type testPKI struct {
	ca     *testcert.Authority
	server *testcert.Leaf
	client *testcert.Leaf
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	ca, err := testcert.NewAuthority("shoal test CA")
	require.NoError(t, err)
	srv, err := ca.Server("127.0.0.1")
	require.NoError(t, err)
	cl, err := ca.Client("alice")
	require.NoError(t, err)
	return &testPKI{ca: ca, server: srv, client: cl}
}

func (p *testPKI) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server.TLS}}
}

func (p *testPKI) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.ca.Pool, ServerName: "127.0.0.1"}
}

// tlsDial connects a crypto/tls client to addr and completes its handshake.
func tlsDial(t *testing.T, addr net.Addr, cfg *tls.Config) *tls.Conn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", addr.String(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(waitFor)))
	return c
}

func TestTLSEcho(t *testing.T) {
	pki := newPKI(t)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			p := newProbe()
			p.onMsg = func(ctx *actor.Context) {
				if b, ok := ctx.Message().([]byte); ok {
					ctx.WriteBytes(b)
				}
			}
			_, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(pki.serverConfig()))
			cfg := pki.clientConfig()
			cfg.MinVersion, cfg.MaxVersion = v, v
			c := tlsDial(t, l.Addr(), cfg)
			o := p.next(t, isOpened).msg.(actor.Opened)
			require.NotNil(t, o.TLS)
			require.Equal(t, v, o.TLS.Version)
			require.True(t, o.TLS.HandshakeComplete)
			require.Same(t, o.TLS, o.Info.(*tls.ConnectionState))
			echoRoundTrips(t, c, 1<<20)
			require.NoError(t, c.Close())
			require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err)
		})
	}
}

func TestTLSListenNeedsConfig(t *testing.T) {
	sys, err := actor.NewSystem()
	require.NoError(t, err)
	defer sys.Stop(context.Background())
	_, err = sys.Listen("tls://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory)
	require.ErrorIs(t, err, actor.ErrBadOption)
	_, err = sys.Listen("tcp://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory, actor.TLS(&tls.Config{}))
	require.ErrorIs(t, err, actor.ErrBadOption)
	_, err = sys.Listen("wss://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory, actor.TLS(&tls.Config{}))
	require.ErrorIs(t, err, actor.ErrBadAddress)
	_, err = sys.Listen("tls://127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory, actor.TLS(nil))
	require.ErrorIs(t, err, actor.ErrBadOption)
}

func TestTLSNotTLS(t *testing.T) {
	pki := newPKI(t)
	p := newProbe()
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(pki.serverConfig()))
	c := dial(t, l.Addr())
	_, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	b, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Contains(t, string(b), "400 Bad Request")
	require.Eventually(t, func() bool { return sumStats(sys).TLSFailures == 1 }, waitFor, time.Millisecond)
	select {
	case e := <-p.events:
		t.Fatalf("an actor saw %v", e.msg)
	default:
	}
	_ = errors.New
}

func sumStats(sys *actor.System) actor.ShardStats {
	var s actor.ShardStats
	for _, st := range sys.Stats() {
		s.TLSHandshakes += st.TLSHandshakes
		s.TLSResumed += st.TLSResumed
		s.TLSFailures += st.TLSFailures
		s.Opened += st.Opened
		s.Closed += st.Closed
	}
	return s
}
