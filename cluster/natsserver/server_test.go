package natsserver_test

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// A *Server is what a node's Config.Server takes.
var _ cluster.Server = (*natsserver.Server)(nil)

// Nothing of a server outlives its Shutdown.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A server started on port 0 gets a free port, serves NATS clients at its
// URL, refuses a second Start, closes its clients' connections on
// Shutdown, and can be started again.
func TestStartShutdownRestart(t *testing.T) {
	s := &natsserver.Server{Listen: "127.0.0.1:0", Name: "test-server"}
	require.Empty(t, s.ClientURL(), "not running yet")
	url, err := s.Start()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(url, "nats://127.0.0.1:"), url)
	require.NotEqual(t, "nats://127.0.0.1:0", url, "the port chosen, not 0")
	require.Equal(t, url, s.ClientURL())

	closed := make(chan struct{})
	nc, err := nats.Connect(url, nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	require.NoError(t, err)
	require.Equal(t, "test-server", nc.ConnectedServerName())
	sub, err := nc.SubscribeSync("x")
	require.NoError(t, err)
	require.NoError(t, nc.Publish("x", []byte("hi")))
	m, err := sub.NextMsg(10 * time.Second)
	require.NoError(t, err)
	require.Equal(t, "hi", string(m.Data))

	_, err = s.Start()
	require.ErrorIs(t, err, natsserver.ErrRunning)

	s.Shutdown()
	require.Empty(t, s.ClientURL())
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the client's connection outlived the server")
	}
	s.Shutdown() // again: nothing to do

	url, err = s.Start()
	require.NoError(t, err)
	nc, err = nats.Connect(url)
	require.NoError(t, err)
	nc.Close()
	s.Shutdown()
}

// Start refuses a Listen that is not host:port, and reports a port in use.
func TestStartErrors(t *testing.T) {
	for _, listen := range []string{"no port", "127.0.0.1:http", "127.0.0.1:70000", "127.0.0.1:-1"} {
		s := &natsserver.Server{Listen: listen}
		_, err := s.Start()
		require.ErrorIs(t, err, natsserver.ErrBadConfig, listen)
		require.Empty(t, s.ClientURL())
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	s := &natsserver.Server{Listen: l.Addr().String()}
	_, err = s.Start()
	require.Error(t, err, "the port is taken")
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Empty(t, s.ClientURL())
	s.Shutdown()
}
