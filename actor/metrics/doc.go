// Package metrics exports a Shoal system's counters as Prometheus metrics:
//
//	prometheus.MustRegister(metrics.New(sys))
//	http.Handle("/metrics", promhttp.Handler())
//
// Every scrape reads System.Stats (one series per shard, label "shard");
// nothing is counted twice and nothing runs between scrapes. A cluster
// node's counters have a collector of their own, in cluster/metrics.
//
// The package owns only the mapping from those counters to metric names. It
// knows the actor package's exported statistics and nothing of shards,
// sockets or the cluster (it must not import cluster: a system without one
// links no NATS client for its metrics).
package metrics
