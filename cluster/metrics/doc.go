// Package metrics exports a cluster node's counters as Prometheus metrics,
// beside those of its system (actor/metrics):
//
//	import (
//		"github.com/shoalrt/shoal/actor/metrics"
//		clustermetrics "github.com/shoalrt/shoal/cluster/metrics"
//	)
//
//	prometheus.MustRegister(metrics.New(sys), clustermetrics.New(node))
//
// Every scrape reads Node.Stats and Node.Nodes; nothing runs between
// scrapes. The series are named shoal_cluster_* (the namespace is
// Namespace's).
//
// The package owns only the mapping from the node's counters to metric
// names, so that package cluster itself needs no Prometheus client. It
// knows cluster's exported statistics and nothing of NATS, actors or
// shards.
package metrics
