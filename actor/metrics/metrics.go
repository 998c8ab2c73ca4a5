package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalrt/shoal/actor"
)

// Option configures a collector.
type Option func(*config)

type config struct {
	namespace string
	labels    prometheus.Labels
}

// Namespace sets the metric names' prefix (default "shoal").
func Namespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// ConstLabels adds labels to every metric, e.g. the process's role.
func ConstLabels(l prometheus.Labels) Option { return func(c *config) { c.labels = l } }

// shardMetric is one per-shard series: its description, its kind and how
// to read it from a shard's stats.
type shardMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*actor.ShardStats) float64
}

// Collector is a prometheus.Collector for one system's shards. Safe for
// concurrent scrapes.
type Collector struct {
	sys    *actor.System
	shards []shardMetric
}

// New returns the collector of sys. A cluster node's own collector is
// cluster/metrics'.
func New(sys *actor.System, opts ...Option) *Collector {
	cfg := config{namespace: "shoal"}
	for _, o := range opts {
		o(&cfg)
	}
	c := &Collector{sys: sys}
	shard := func(name, help string, kind prometheus.ValueType, value func(*actor.ShardStats) float64) {
		c.shards = append(c.shards, shardMetric{
			desc:  prometheus.NewDesc(prometheus.BuildFQName(cfg.namespace, "", name), help, []string{"shard"}, cfg.labels),
			kind:  kind,
			value: value,
		})
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	shard("connections", "Open connections.", gauge, func(s *actor.ShardStats) float64 { return float64(s.Connections) })
	shard("actors", "Spawned actors (without a connection).", gauge, func(s *actor.ShardStats) float64 { return float64(s.Actors) })
	shard("inbox_depth", "Messages waiting in the shard's inbox (approximate).", gauge, func(s *actor.ShardStats) float64 { return float64(s.InboxDepth) })
	shard("connections_opened_total", "Connections adopted.", counter, func(s *actor.ShardStats) float64 { return float64(s.Opened) })
	shard("connections_closed_total", "Connections closed.", counter, func(s *actor.ShardStats) float64 { return float64(s.Closed) })
	shard("connection_open_failures_total", "Accepted sockets the shard could not open and closed at once (no free slot, poller error).", counter, func(s *actor.ShardStats) float64 { return float64(s.OpenFailures) })
	shard("messages_in_total", "Messages decoded from the wire.", counter, func(s *actor.ShardStats) float64 { return float64(s.MessagesIn) })
	shard("messages_out_total", "Messages written to connections.", counter, func(s *actor.ShardStats) float64 { return float64(s.MessagesOut) })
	shard("messages_delivered_total", "Messages delivered from actor to actor.", counter, func(s *actor.ShardStats) float64 { return float64(s.Delivered) })
	shard("bytes_in_total", "Bytes read from connections.", counter, func(s *actor.ShardStats) float64 { return float64(s.BytesIn) })
	shard("bytes_out_total", "Bytes written to connections.", counter, func(s *actor.ShardStats) float64 { return float64(s.BytesOut) })
	shard("dead_letters_total", "Messages that reached no actor: their target was gone, or a send was dropped for a full inbox.", counter, func(s *actor.ShardStats) float64 { return float64(s.DeadLetters) })
	shard("inbox_full_total", "Sends that failed because the target shard's inbox was full (ErrInboxFull).", counter, func(s *actor.ShardStats) float64 { return float64(s.InboxFull) })
	shard("writes_dropped_total", "Writes to connections not sent: refused under DropWrites, a datagram with no room, a broadcast the codec could not encode.", counter, func(s *actor.ShardStats) float64 { return float64(s.WritesDropped) })
	shard("poll_errors_total", "Poller failures (should stay 0).", counter, func(s *actor.ShardStats) float64 { return float64(s.PollErrors) })
	shard("close_timeouts_total", "Connections reset because their peer did not take their last bytes within the close timeout.", counter, func(s *actor.ShardStats) float64 { return float64(s.CloseTimeouts) })
	shard("tls_handshakes_total", "TLS handshakes completed.", counter, func(s *actor.ShardStats) float64 { return float64(s.TLSHandshakes) })
	shard("tls_resumed_total", "TLS handshakes that resumed a session (a ticket).", counter, func(s *actor.ShardStats) float64 { return float64(s.TLSResumed) })
	shard("tls_handshakes_running", "TLS handshakes under way.", gauge, func(s *actor.ShardStats) float64 { return float64(s.TLSRunning) })
	shard("tls_handshakes_waiting", "TLS connections waiting for a handshake place (TLSHandshakes' max).", gauge, func(s *actor.ShardStats) float64 { return float64(s.TLSWaiting) })
	shard("tls_failures_total", "TLS connections closed by a TLS failure: failed or timed-out handshakes, not TLS, bad records.", counter, func(s *actor.ShardStats) float64 { return float64(s.TLSFailures) })
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.shards {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector: it reads the statistics now.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.sys.Stats() {
		label := strconv.Itoa(st.Shard)
		for _, m := range c.shards {
			ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&st), label)
		}
	}

}
