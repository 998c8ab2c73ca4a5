package natsserver

import "errors"

// Errors of Start and WaitJetStream.
var (
	// ErrBadConfig is wrapped by Start's error for an invalid field: a
	// Listen or Cluster that is not host:port, a route URL that is not
	// nats-route://host:port, Routes without Cluster, JetStream in a
	// cluster without Routes, negative limits, a DataDir that cannot be
	// created or written, or options NATS itself refuses (a Name or
	// ClusterName with spaces).
	ErrBadConfig = errors.New("natsserver: invalid config")
	// ErrRunning is returned by Start on a server already running.
	ErrRunning = errors.New("natsserver: already running")
	// ErrNotRunning is returned by WaitJetStream on a server that is not
	// running, or that was shut down while it waited.
	ErrNotRunning = errors.New("natsserver: not running")
	// ErrNoJetStream is returned by WaitJetStream on a server running
	// without JetStream.
	ErrNoJetStream = errors.New("natsserver: JetStream is off")
)
