package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/shoalrt/shoal/actor"
	actormetrics "github.com/shoalrt/shoal/actor/metrics"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/metrics"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitFor = 20 * time.Second

// Ping crosses the nodes.
type Ping struct{ N int }

// startNode starts node number of cfg's cluster, stopped at the test's end.
func startNode(t *testing.T, cfg cluster.Config, number int) (*actor.System, *cluster.Node) {
	t.Helper()
	node, err := cluster.New(cfg)
	require.NoError(t, err)
	sys, err := actor.NewSystem(actor.Node(number), actor.Shards(1), actor.Cluster(node))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		require.NoError(t, sys.Stop(ctx))
	})
	return sys, node
}

// The collector reports a node's counters and peers as they are, through a
// real /metrics endpoint, beside the system's collector in one registry;
// the names pass Prometheus's lint.
func TestCollectorReportsNodeStats(t *testing.T) {
	cfg := cluster.Config{Name: "metrics", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Ping{}},
		Heartbeat: 100 * time.Millisecond}
	sys1, n1 := startNode(t, cfg, 1)
	cfg.Server, cfg.URL = nil, n1.ClientURL()
	sys2, n2 := startNode(t, cfg, 2)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.WaitNodes(ctx, 2))
	got := make(chan int, 3)
	sink, err := sys2.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if p, ok := ctx.Message().(Ping); ok {
				got <- p.N
			}
		})
	})
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, sys1.Send(sink, Ping{N: i}))
	}
	for i := range 3 {
		select {
		case n := <-got:
			require.Equal(t, i, n)
		case <-time.After(waitFor):
			t.Fatal("a ping did not arrive")
		}
	}

	labels := metrics.ConstLabels(prometheus.Labels{"role": "test"})
	col1, col2 := metrics.New(n1, labels), metrics.New(n2, labels)
	problems, err := testutil.CollectAndLint(col1)
	require.NoError(t, err)
	require.Empty(t, problems)
	require.Equal(t, 7, testutil.CollectAndCount(col1))
	require.Equal(t, 1.0, testutil.ToFloat64(metricOf(col1, "shoal_cluster_peers")))
	require.Equal(t, 3.0, testutil.ToFloat64(metricOf(col1, "shoal_cluster_envelopes_sent_total")))
	// The node counts an envelope received once the system took it, which
	// may be just after the actor had it: the count comes a moment later.
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(metricOf(col2, "shoal_cluster_envelopes_received_total")) == 3
	}, waitFor, time.Millisecond, "envelopes received")
	require.Zero(t, testutil.ToFloat64(metricOf(col2, "shoal_cluster_malformed_total")))

	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(actormetrics.New(sys1, actormetrics.ConstLabels(prometheus.Labels{"role": "test"}))))
	require.NoError(t, reg.Register(col1))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	text := string(body)
	for _, want := range []string{
		`shoal_cluster_peers{role="test"} 1`,
		`shoal_cluster_envelopes_sent_total{role="test"} 3`,
		`shoal_cluster_batches_sent_total{role="test"}`,
		`shoal_cluster_dropped_total{role="test"} 0`,
		`shoal_cluster_history_repaired_total{role="test"} 0`,
		`shoal_messages_delivered_total{role="test",shard="0"}`, // the system's, beside
	} {
		require.True(t, strings.Contains(text, want), "missing %s in\n%s", want, text)
	}
}

// A namespace renames every series.
func TestCollectorNamespace(t *testing.T) {
	node, err := cluster.New(cluster.Config{URL: "nats://127.0.0.1:4222"}) // never started: all zero
	require.NoError(t, err)
	col := metrics.New(node, metrics.Namespace("chat"))
	require.Equal(t, 7, testutil.CollectAndCount(col))
	require.Equal(t, 1, testutil.CollectAndCount(col, "chat_cluster_peers"))
	require.Zero(t, testutil.CollectAndCount(col, "shoal_cluster_peers"))
}

// metricOf returns a collector of c's one series name, for
// testutil.ToFloat64.
func metricOf(c prometheus.Collector, name string) prometheus.Collector {
	return collectorFunc(func(ch chan<- prometheus.Metric) {
		all := make(chan prometheus.Metric, 16)
		c.Collect(all)
		close(all)
		for m := range all {
			if strings.Contains(m.Desc().String(), `fqName: "`+name+`"`) {
				ch <- m
			}
		}
	})
}

// collectorFunc is an unchecked collector of the metrics its function
// sends.
type collectorFunc func(chan<- prometheus.Metric)

func (f collectorFunc) Describe(chan<- *prometheus.Desc)    {}
func (f collectorFunc) Collect(ch chan<- prometheus.Metric) { f(ch) }
