package cluster_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/internal/testcert"
	"github.com/stretchr/testify/require"
)

// tlsNode is one node's TLS echo listener.
func tlsNode(t *testing.T, cert tls.Certificate, secret []byte) net.Addr {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if secret != nil {
		stop, err := cluster.ShareTicketKeys(cfg, secret, 0)
		require.NoError(t, err)
		t.Cleanup(stop)
	}
	sys, err := actor.NewSystem()
	require.NoError(t, err)
	l, err := sys.Listen("tls://127.0.0.1:0", codec.Bytes(codec.Raw()), func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if b, ok := ctx.Message().([]byte); ok {
				ctx.WriteBytes(b)
			}
		})
	}, actor.TLS(cfg))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	t.Cleanup(func() { sys.Stop(context.Background()) })
	return l.Addr()
}

// resumes connects to a then b with one client session cache and reports
// whether the second connection resumed the first's session.
func resumes(t *testing.T, ca *testcert.Authority, version uint16, a, b net.Addr) bool {
	t.Helper()
	cfg := &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1", MaxVersion: version, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	var resumed bool
	for i, addr := range []net.Addr{a, b} {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 20 * time.Second}, "tcp", addr.String(), cfg)
		require.NoError(t, err)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		_, err = c.Write([]byte("x")) // an echo, so a TLS 1.3 ticket has arrived
		require.NoError(t, err)
		_, err = io.ReadFull(c, make([]byte, 1))
		require.NoError(t, err)
		if i == 1 {
			resumed = c.ConnectionState().DidResume
		}
		c.Close()
	}
	return resumed
}

func TestShareTicketKeysResumesOnAnotherNode(t *testing.T) {
	ca, err := testcert.NewAuthority("ca")
	require.NoError(t, err)
	leaf, err := ca.Server("127.0.0.1")
	require.NoError(t, err)
	secret := make([]byte, 32)
	rand.Read(secret)
	other := make([]byte, 32)
	rand.Read(other)
	a, b := tlsNode(t, leaf.TLS, secret), tlsNode(t, leaf.TLS, secret)
	stranger := tlsNode(t, leaf.TLS, other)
	plain := tlsNode(t, leaf.TLS, nil)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			require.True(t, resumes(t, ca, v, a, b), "same secret: resumed on the other node")
			require.False(t, resumes(t, ca, v, a, stranger), "another secret: a full handshake")
			require.False(t, resumes(t, ca, v, plain, a), "crypto/tls's own keys are per server")
		})
	}
}

func TestShareTicketKeysRefusesBadInput(t *testing.T) {
	_, err := cluster.ShareTicketKeys(nil, make([]byte, 32), 0)
	require.Error(t, err)
	_, err = cluster.ShareTicketKeys(&tls.Config{}, make([]byte, 31), 0)
	require.Error(t, err)
	_, err = cluster.ShareTicketKeys(&tls.Config{}, make([]byte, 32), time.Millisecond)
	require.Error(t, err)
}

// A ticket issued before the key rotates still resumes after it.
func TestShareTicketKeysRotation(t *testing.T) {
	ca, err := testcert.NewAuthority("ca")
	require.NoError(t, err)
	leaf, err := ca.Server("127.0.0.1")
	require.NoError(t, err)
	secret := make([]byte, 32)
	rand.Read(secret)
	node := func() net.Addr {
		cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLS}}
		stop, err := cluster.ShareTicketKeys(cfg, secret, time.Second)
		require.NoError(t, err)
		t.Cleanup(stop)
		ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
		require.NoError(t, err)
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { defer c.Close(); io.Copy(c, c) }()
			}
		}()
		return ln.Addr()
	}
	a, b := node(), node()
	cfg := &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	connect := func(addr net.Addr) bool {
		c, err := tls.Dial("tcp", addr.String(), cfg)
		require.NoError(t, err)
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		_, err = c.Write([]byte("x"))
		require.NoError(t, err)
		_, err = io.ReadFull(c, make([]byte, 1))
		require.NoError(t, err)
		return c.ConnectionState().DidResume
	}
	connect(a)
	time.Sleep(1500 * time.Millisecond) // past at least one rotation
	require.True(t, connect(b), "the previous period's key still decrypts")
}
