package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalrt/shoal/cluster"
)

// Option configures a collector.
type Option func(*config)

type config struct {
	namespace string
	labels    prometheus.Labels
}

// Namespace sets the metric names' prefix (default "shoal", as
// actor/metrics'): the series are <namespace>_cluster_*.
func Namespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// ConstLabels adds labels to every metric, e.g. the process's role.
func ConstLabels(l prometheus.Labels) Option { return func(c *config) { c.labels = l } }

// nodeMetric is one series of the node: its description, its kind and how
// to read it.
type nodeMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*cluster.Stats, *cluster.Node) float64
}

// Collector is a prometheus.Collector for one cluster node. Safe for
// concurrent scrapes.
type Collector struct {
	node    *cluster.Node
	metrics []nodeMetric
}

// New returns the collector of node.
func New(node *cluster.Node, opts ...Option) *Collector {
	cfg := config{namespace: "shoal"}
	for _, o := range opts {
		o(&cfg)
	}
	c := &Collector{node: node}
	metric := func(name, help string, kind prometheus.ValueType, value func(*cluster.Stats, *cluster.Node) float64) {
		c.metrics = append(c.metrics, nodeMetric{
			desc:  prometheus.NewDesc(prometheus.BuildFQName(cfg.namespace, "cluster", name), help, nil, cfg.labels),
			kind:  kind,
			value: value,
		})
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	metric("envelopes_sent_total", "Envelopes queued for other nodes.", counter, func(s *cluster.Stats, _ *cluster.Node) float64 { return float64(s.Sent) })
	metric("batches_sent_total", "NATS messages published with envelopes.", counter, func(s *cluster.Stats, _ *cluster.Node) float64 { return float64(s.Batches) })
	metric("envelopes_received_total", "Envelopes from other nodes handed to this system.", counter, func(s *cluster.Stats, _ *cluster.Node) float64 { return float64(s.Received) })
	metric("malformed_total", "Messages from the cluster that were not valid envelopes.", counter, func(s *cluster.Stats, _ *cluster.Node) float64 { return float64(s.Malformed) })
	metric("dropped_total", "Envelopes lost: not taken by a full shard, not published, or dropped by NATS as a slow consumer; and gaps of the history feed.", counter, func(s *cluster.Stats, _ *cluster.Node) float64 { return float64(s.Dropped) })
	metric("history_repaired_total", "Publications of history groups this node missed on core NATS and read back from their stream.", counter, func(s *cluster.Stats, _ *cluster.Node) float64 { return float64(s.Repaired) })
	metric("peers", "Other nodes known to be alive.", gauge, func(_ *cluster.Stats, n *cluster.Node) float64 { return float64(len(n.Nodes())) })
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector: it reads the node's statistics
// now.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.node.Stats()
	for _, m := range c.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&st, c.node))
	}
}
