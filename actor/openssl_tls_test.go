package actor_test

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// Debian's openssl s_client against a tls:// line-echo listener: TLS 1.2
// and 1.3, ALPN, mutual TLS accepted and refused, session resumption, a
// TLS 1.3 key update, a refused renegotiation and a close by the server.
// s_client is driven through its stdin and read from its stdout: it prints
// the handshake's summary, then what the server sends. It quits at the end
// of its input (without -ign_eof) after a close_notify; with -ign_eof it
// waits for the server to close.

// opensslEcho is a line echo: "bye" is answered "goodbye" and closes.
func opensslEcho(p *probe) actor.Factory {
	p.onMsg = func(ctx *actor.Context) {
		b, ok := ctx.Message().([]byte)
		if !ok {
			return
		}
		if string(b) == "bye" {
			_ = ctx.WriteBytes([]byte("goodbye"))
			ctx.Close()
			return
		}
		_ = ctx.WriteBytes(b)
	}
	return p.factory
}

// opensslSetup is a PKI with its files on disk.
type opensslSetup struct {
	pki                       *testPKI
	ca, clientCert, clientKey string
	dir                       string
}

func newOpenSSLSetup(t *testing.T) *opensslSetup {
	t.Helper()
	pki := newPKI(t)
	dir := t.TempDir()
	cert, key, ca, err := pki.ca.WriteFiles(dir, pki.client)
	require.NoError(t, err)
	return &opensslSetup{pki: pki, ca: ca, clientCert: cert, clientKey: key, dir: dir}
}

// sClient starts openssl s_client against addr, verifying the server
// against the test CA, with extra arguments.
func (s *opensslSetup) sClient(t *testing.T, openssl, addr string, extra ...string) *child {
	t.Helper()
	args := append([]string{"s_client", "-connect", addr, "-CAfile", s.ca,
		"-verify_return_error", "-verify_ip", "127.0.0.1"}, extra...)
	return startChild(t, "", openssl, args...)
}

var opensslVersions = []struct {
	flag, name string
	v          uint16
}{
	{"-tls1_2", "TLSv1.2", tls.VersionTLS12},
	{"-tls1_3", "TLSv1.3", tls.VersionTLS13},
}

func TestTLSOpenSSLClient(t *testing.T) {
	openssl := needTool(t, "openssl", ".ci/run installs Debian's openssl")
	for _, ver := range opensslVersions {
		t.Run(ver.name, func(t *testing.T) {
			s := newOpenSSLSetup(t)
			cfg := s.pki.serverConfig()
			cfg.NextProtos = []string{"shoal/1"}
			p := newProbe()
			_, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), opensslEcho(p), actor.TLS(cfg))

			c := s.sClient(t, openssl, l.Addr().String(), ver.flag, "-alpn", "shoal/1")
			_, err := c.stdin.Write([]byte("hello from openssl\n"))
			require.NoError(t, err)
			opened := p.next(t, isOpened).msg.(actor.Opened)
			require.NotNil(t, opened.TLS)
			require.Equal(t, ver.v, opened.TLS.Version)
			require.Equal(t, "shoal/1", opened.TLS.NegotiatedProtocol)
			require.False(t, opened.TLS.DidResume)
			require.Equal(t, "hello from openssl", p.next(t, isString).msg)

			out := c.waitOutput(t, "hello from openssl")
			require.Contains(t, out, "New, "+ver.name+", Cipher is ")
			require.Contains(t, out, "ALPN protocol: shoal/1")
			require.Contains(t, out, "Verify return code: 0 (ok)")

			// A longer line: several records' worth of plaintext each way.
			long := strings.Repeat("0123456789abcdef", 3000)
			_, err = c.stdin.Write([]byte(long + "\n"))
			require.NoError(t, err)
			require.Equal(t, long, p.next(t, isString).msg)
			c.waitOutput(t, long)

			require.NoError(t, c.stdin.Close()) // s_client sends close_notify and quits
			out, err = c.wait(t)
			require.NoError(t, err, out)
			require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err, "a close_notify is a clean close")
		})
	}
}

// TestTLSOpenSSLServerCloses: the actor writes its last line and closes;
// s_client, told to ignore the end of its input, gets the line and then
// the server's close_notify.
func TestTLSOpenSSLServerCloses(t *testing.T) {
	openssl := needTool(t, "openssl", ".ci/run installs Debian's openssl")
	for _, ver := range opensslVersions {
		t.Run(ver.name, func(t *testing.T) {
			s := newOpenSSLSetup(t)
			p := newProbe()
			_, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), opensslEcho(p), actor.TLS(s.pki.serverConfig()))
			c := s.sClient(t, openssl, l.Addr().String(), ver.flag, "-ign_eof")
			_, err := c.stdin.Write([]byte("bye\n"))
			require.NoError(t, err)
			require.NoError(t, c.stdin.Close()) // ignored: s_client waits for the server
			out, _ := c.wait(t)
			require.Contains(t, out, "goodbye", "the last line is flushed before the close")
			require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err)
			// s_client prints "closed" for a close_notify (SSL_ERROR_ZERO_RETURN);
			// a bare TCP close would be "read:errno=0" or an unexpected-EOF error.
			require.Equal(t, "closed", lastLines(out, 1), "the server ends with a close_notify; s_client's output:\n%s", out)
		})
	}
}

func TestTLSOpenSSLMutual(t *testing.T) {
	openssl := needTool(t, "openssl", ".ci/run installs Debian's openssl")
	for _, ver := range opensslVersions {
		t.Run(ver.name+"/accepted", func(t *testing.T) {
			s := newOpenSSLSetup(t)
			cfg := s.pki.serverConfig()
			cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, s.pki.ca.Pool
			p := newProbe()
			sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), opensslEcho(p), actor.TLS(cfg))
			c := s.sClient(t, openssl, l.Addr().String(), ver.flag, "-cert", s.clientCert, "-key", s.clientKey)
			_, err := c.stdin.Write([]byte("hello with a certificate\n"))
			require.NoError(t, err)
			opened := p.next(t, isOpened).msg.(actor.Opened)
			require.NotNil(t, opened.TLS)
			require.Equal(t, ver.v, opened.TLS.Version)
			require.NotEmpty(t, opened.TLS.PeerCertificates)
			require.Equal(t, "alice", opened.TLS.PeerCertificates[0].Subject.CommonName)
			require.NotEmpty(t, opened.TLS.VerifiedChains)
			require.Equal(t, "hello with a certificate", p.next(t, isString).msg)
			c.waitOutput(t, "hello with a certificate")
			require.NoError(t, c.stdin.Close())
			out, err := c.wait(t)
			require.NoError(t, err, out)
			require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err)
			st := sumStats(sys)
			require.Equal(t, uint64(1), st.TLSHandshakes)
			require.Zero(t, st.TLSFailures)
		})
		t.Run(ver.name+"/refused", func(t *testing.T) {
			s := newOpenSSLSetup(t)
			cfg := s.pki.serverConfig()
			cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, s.pki.ca.Pool
			p := newProbe()
			sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), opensslEcho(p), actor.TLS(cfg))
			// No -cert: the server's alert ends s_client (in TLS 1.3 after
			// its side of the handshake is done, when it reads the alert).
			// Nothing is written, so no data of s_client's can reach the
			// closed socket and turn its close into a reset.
			c := s.sClient(t, openssl, l.Addr().String(), ver.flag)
			out, err := c.wait(t)
			require.Error(t, err, "s_client must fail; its output:\n%s", out)
			require.Contains(t, out, "alert", "s_client reports the server's alert")
			require.Eventually(t, func() bool { return sumStats(sys).TLSFailures == 1 }, waitFor, time.Millisecond)
			require.Zero(t, sumStats(sys).TLSHandshakes)
			select {
			case e := <-p.events:
				t.Fatalf("an actor saw %#v", e.msg)
			default:
			}
		})
	}
}

func TestTLSOpenSSLResumption(t *testing.T) {
	openssl := needTool(t, "openssl", ".ci/run installs Debian's openssl")
	for _, ver := range opensslVersions {
		t.Run(ver.name, func(t *testing.T) {
			s := newOpenSSLSetup(t)
			p := newProbe()
			sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), opensslEcho(p), actor.TLS(s.pki.serverConfig()))
			sess := filepath.Join(s.dir, "session.pem")

			run := func(line string, extra ...string) (actor.Opened, string) {
				c := s.sClient(t, openssl, l.Addr().String(), append([]string{ver.flag}, extra...)...)
				_, err := c.stdin.Write([]byte(line + "\n"))
				require.NoError(t, err)
				opened := p.next(t, isOpened).msg.(actor.Opened)
				require.Equal(t, line, p.next(t, isString).msg)
				// crypto/tls sends its session ticket with its handshake
				// messages, before any data, so s_client holds it by now.
				c.waitOutput(t, line)
				require.NoError(t, c.stdin.Close())
				out, err := c.wait(t)
				require.NoError(t, err, out)
				require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err)
				return opened, out
			}

			first, out := run("first", "-sess_out", sess)
			require.False(t, first.TLS.DidResume)
			require.Contains(t, out, "New, "+ver.name)
			info, err := os.Stat(sess)
			require.NoError(t, err, "s_client wrote no session")
			require.NotZero(t, info.Size())

			second, out := run("second", "-sess_in", sess)
			require.Contains(t, out, "Reused, "+ver.name, "s_client resumed its session")
			require.True(t, second.TLS.DidResume, "Opened.TLS says the session was resumed")
			st := sumStats(sys)
			require.Equal(t, uint64(2), st.TLSHandshakes)
			require.Equal(t, uint64(1), st.TLSResumed)
			require.Zero(t, st.TLSFailures)
		})
	}
}

// TestTLSOpenSSLKeyUpdate: s_client's "K" command sends a TLS 1.3
// KeyUpdate asking the server to update its keys too; the server answers
// with its own KeyUpdate (written while it reads, on the shard), and the
// echo goes on under the new keys both ways.
func TestTLSOpenSSLKeyUpdate(t *testing.T) {
	openssl := needTool(t, "openssl", ".ci/run installs Debian's openssl")
	s := newOpenSSLSetup(t)
	p := newProbe()
	_, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), opensslEcho(p), actor.TLS(s.pki.serverConfig()))
	c := s.sClient(t, openssl, l.Addr().String(), "-tls1_3")
	_, err := c.stdin.Write([]byte("before the update\n"))
	require.NoError(t, err)
	c.waitOutput(t, "before the update")
	for i := 0; i < 3; i++ {
		_, err = c.stdin.Write([]byte("K\n")) // a command, not sent as data
		require.NoError(t, err)
		c.waitCount(t, "KEYUPDATE", i+1)
		line := "after update " + string(rune('1'+i))
		_, err = c.stdin.Write([]byte(line + "\n"))
		require.NoError(t, err)
		c.waitOutput(t, line)
	}
	require.NoError(t, c.stdin.Close())
	out, err := c.wait(t)
	require.NoError(t, err, out)
	closed := p.next(t, isClosed).msg.(actor.Closed)
	require.NoError(t, closed.Err)
}

// TestTLSOpenSSLRenegotiationRefused: crypto/tls refuses a TLS 1.2
// renegotiation (s_client's "R" command) with an alert: that connection
// closes with a TLS error, counted, and the listener goes on.
func TestTLSOpenSSLRenegotiationRefused(t *testing.T) {
	openssl := needTool(t, "openssl", ".ci/run installs Debian's openssl")
	s := newOpenSSLSetup(t)
	p := newProbe()
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Line()), opensslEcho(p), actor.TLS(s.pki.serverConfig()))
	c := s.sClient(t, openssl, l.Addr().String(), "-tls1_2")
	_, err := c.stdin.Write([]byte("before\n"))
	require.NoError(t, err)
	c.waitOutput(t, "before")
	_, err = c.stdin.Write([]byte("R\n"))
	require.NoError(t, err)
	out, _ := c.wait(t)
	require.Contains(t, out, "RENEGOTIATING")
	closed := p.next(t, isClosed).msg.(actor.Closed)
	require.ErrorIs(t, closed.Err, actor.ErrTLS, "%v", closed.Err)
	var te *actor.TLSError
	require.True(t, errors.As(closed.Err, &te), "%T %v", closed.Err, closed.Err)
	require.Equal(t, "read", te.Op)
	require.Eventually(t, func() bool { return sumStats(sys).TLSFailures == 1 }, waitFor, time.Millisecond)

	// The listener still serves.
	c = s.sClient(t, openssl, l.Addr().String(), "-tls1_2")
	_, err = c.stdin.Write([]byte("after\n"))
	require.NoError(t, err)
	c.waitOutput(t, "after")
	require.NoError(t, c.stdin.Close())
	out, err = c.wait(t)
	require.NoError(t, err, out)
}

func isString(m any) bool { _, ok := m.(string); return ok }

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
