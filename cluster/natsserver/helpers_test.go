package natsserver_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/cluster/natsserver"
)

// waitFor bounds every wait of these tests: generous, since JetStream
// elections take seconds and the machine may be busy.
const waitFor = 30 * time.Second

// poll is how often a test looks again at a condition it waits on.
const poll = 20 * time.Millisecond

// start starts s, shut down at the end of the test, and returns its URL.
func start(t *testing.T, s *natsserver.Server) string {
	t.Helper()
	url, err := s.Start()
	require.NoError(t, err)
	t.Cleanup(s.Shutdown)
	return url
}

// connect connects a JetStream client to url, closed at the end of the
// test (or earlier, by calling the returned close).
func connect(t *testing.T, url string) (jetstream.JetStream, func()) {
	t.Helper()
	nc, err := nats.Connect(url, nats.NoReconnect())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js, nc.Close
}

// waitJetStream waits until s's JetStream can take streams.
func waitJetStream(t *testing.T, s *natsserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, s.WaitJetStream(ctx))
}

// freePorts returns n loopback ports free a moment ago, for servers that
// must know each other's route URLs before any starts (a JetStream
// cluster). Another process may take one meanwhile: unlikely, as the
// kernel hands ephemeral ports out in turn.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// hostPort is 127.0.0.1:port.
func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// ctxFor returns a context done after waitFor, canceled at the end of the
// test.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

// itoa is strconv.Itoa.
func itoa(n int) string { return strconv.Itoa(n) }

// requireName checks that the server at url is named name.
func requireName(t *testing.T, url, name string) {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	defer nc.Close()
	require.Equal(t, name, nc.ConnectedServerName())
}
