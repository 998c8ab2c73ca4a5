package natsserver_test

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/cluster/natsserver"
)

// Start refuses every bad field with an error wrapping ErrBadConfig, and
// leaves nothing running.
func TestBadConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	const route = "nats-route://127.0.0.1:6222"
	for _, tc := range []struct {
		name string
		s    *natsserver.Server
	}{
		{"routes without cluster", &natsserver.Server{Routes: []string{route}}},
		{"cluster name without cluster", &natsserver.Server{ClusterName: "c"}},
		{"cluster not host:port", &natsserver.Server{Cluster: "6222"}},
		{"cluster port out of range", &natsserver.Server{Cluster: "127.0.0.1:70000"}},
		{"route without scheme", &natsserver.Server{Cluster: "127.0.0.1:0", Routes: []string{"127.0.0.1:6222"}}},
		{"route of another scheme", &natsserver.Server{Cluster: "127.0.0.1:0", Routes: []string{"http://127.0.0.1:6222"}}},
		{"route without port", &natsserver.Server{Cluster: "127.0.0.1:0", Routes: []string{"nats-route://127.0.0.1"}}},
		{"route without host", &natsserver.Server{Cluster: "127.0.0.1:0", Routes: []string{"nats-route://:6222"}}},
		{"route port 0", &natsserver.Server{Cluster: "127.0.0.1:0", Routes: []string{"nats-route://127.0.0.1:0"}}},
		{"route with a path", &natsserver.Server{Cluster: "127.0.0.1:0", Routes: []string{route + "/x"}}},
		{"route not a URL", &natsserver.Server{Cluster: "127.0.0.1:0", Routes: []string{"nats-route://127.0.0.1:62 22"}}},
		{"JetStream cluster without routes", &natsserver.Server{Cluster: "127.0.0.1:0", JetStream: true}},
		{"cluster name NATS refuses", &natsserver.Server{Cluster: "127.0.0.1:0", ClusterName: "a b"}},
		{"name NATS refuses", &natsserver.Server{Name: "a b"}},
		{"negative memory", &natsserver.Server{JetStream: true, JetStreamMaxMemory: -1}},
		{"negative store", &natsserver.Server{JetStream: true, JetStreamMaxStore: -1}},
		{"data dir under a file", &natsserver.Server{DataDir: filepath.Join(file, "data")}},
		{"data dir a file", &natsserver.Server{DataDir: file}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			s.Listen = "127.0.0.1:0"
			_, err := s.Start()
			require.ErrorIs(t, err, natsserver.ErrBadConfig)
			t.Log(err)
			require.Empty(t, s.ClientURL())
			require.Empty(t, s.RouteURL())
		})
	}
}

// A route port in use is reported as such, at once.
func TestClusterPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	s := &natsserver.Server{Listen: "127.0.0.1:0", Cluster: l.Addr().String()}
	_, err = s.Start()
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.NotErrorIs(t, err, natsserver.ErrBadConfig)
	require.Empty(t, s.ClientURL())
}

// A server in a cluster without a Name gets one from its route address,
// with the machine's hostname for an unspecified host.
func TestDefaultName(t *testing.T) {
	ports := freePorts(t, 2)
	s := &natsserver.Server{Listen: "127.0.0.1:0", Cluster: hostPort(ports[0])}
	url := start(t, s)
	requireName(t, url, hostPort(ports[0]))

	host, err := os.Hostname()
	require.NoError(t, err)
	s = &natsserver.Server{Listen: "127.0.0.1:0", Cluster: net.JoinHostPort("0.0.0.0", itoa(ports[1]))}
	url = start(t, s)
	requireName(t, url, net.JoinHostPort(host, itoa(ports[1])))
}

// A server that gives up in its own Start (here JetStream, on a DataDir
// whose jetstream entry is a file) makes Start fail at once with NATS's
// reason, not time out.
func TestJetStreamStartFailure(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "jetstream"), nil, 0o600))
	s := &natsserver.Server{Listen: "127.0.0.1:0", DataDir: dir}
	t0 := time.Now()
	_, err := s.Start()
	require.ErrorContains(t, err, "JetStream")
	t.Log(err)
	require.Less(t, time.Since(t0), 5*time.Second, "reported, not timed out")
	require.Empty(t, s.ClientURL())
}
