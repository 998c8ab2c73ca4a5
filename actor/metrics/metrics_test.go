package metrics_test

import (
	"bufio"
	"context"
	"io"
	"net"
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
	"github.com/shoalrt/shoal/actor/metrics"
	"github.com/shoalrt/shoal/codec"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type echo struct{}

func (echo) Receive(ctx *actor.Context) {
	if b, ok := ctx.Message().([]byte); ok {
		ctx.WriteBytes(b)
	}
}

// The collector reports each shard's counters as they are, through a real
// /metrics endpoint; the metric names pass Prometheus's lint.
func TestCollectorReportsStats(t *testing.T) {
	sys, err := actor.NewSystem(actor.Shards(2))
	require.NoError(t, err)
	l, err := sys.Listen("tcp://127.0.0.1:0", codec.Bytes(codec.Line()), func() actor.Actor { return echo{} })
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, sys.Stop(ctx))
	}()

	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	for range 3 {
		_, err := io.WriteString(c, "hello\n")
		require.NoError(t, err)
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "hello\n", line)
	}

	reg := prometheus.NewPedanticRegistry()
	col := metrics.New(sys, metrics.ConstLabels(prometheus.Labels{"role": "test"}))
	require.NoError(t, reg.Register(col))
	problems, err := testutil.CollectAndLint(col)
	require.NoError(t, err)
	require.Empty(t, problems)

	// The counters lag the shard by at most one loop turn: wait for them.
	require.Eventually(t, func() bool {
		var in, open float64
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch mf.GetName() {
				case "shoal_messages_in_total":
					in += m.GetCounter().GetValue()
				case "shoal_connections":
					open += m.GetGauge().GetValue()
				}
			}
		}
		return in == 3 && open == 1
	}, 20*time.Second, 10*time.Millisecond)

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	text := string(body)
	for _, want := range []string{
		`shoal_messages_in_total{role="test",shard="0"}`,
		`shoal_messages_in_total{role="test",shard="1"}`,
		`shoal_bytes_out_total{role="test",shard=`,
	} {
		require.True(t, strings.Contains(text, want), "missing %s in\n%s", want, text)
	}
}

// A namespace renames every series; there are no cluster series (those are
// cluster/metrics').
func TestCollectorNamespace(t *testing.T) {
	sys, err := actor.NewSystem()
	require.NoError(t, err)
	col := metrics.New(sys, metrics.Namespace("chat"))
	n := testutil.CollectAndCount(col)
	require.Equal(t, 21, n, "21 series for the one shard")
	require.Zero(t, testutil.CollectAndCount(col, "shoal_connections"))
	require.Equal(t, 1, testutil.CollectAndCount(col, "chat_connections"))
	require.Zero(t, testutil.CollectAndCount(col, "chat_cluster_peers"))
}
