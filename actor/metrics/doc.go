// Package metrics exports a Shoal system's counters — and those of its
// cluster node, if it has one — as Prometheus metrics:
//
//	prometheus.MustRegister(metrics.New(sys, node))
//	http.Handle("/metrics", promhttp.Handler())
//
// Every scrape reads System.Stats (one series per shard, label "shard") and
// Node.Stats; nothing is counted twice and nothing runs between scrapes.
//
// The package owns only the mapping from those counters to metric names. It
// knows the actor and cluster packages' exported statistics and nothing of
// shards, sockets or NATS themselves.
package metrics
