package natsserver

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultListen is the address of a Server whose Listen is empty.
const DefaultListen = "127.0.0.1:4222"

// readyWithin bounds how long Start waits for the server to accept clients.
const readyWithin = 10 * time.Second

// Server is a NATS server running in this process, with the options a
// cluster's embedded servers need: no logging of its own, no signal
// handlers, no authentication; JetStream and routes to other servers if
// asked. The zero value listens on DefaultListen, alone, without
// JetStream. Set its fields before Start, or between Shutdown and the next
// Start; its methods are safe from any goroutine.
type Server struct {
	// Listen is the host:port clients connect to (default DefaultListen;
	// port 0 picks a free one, see ClientURL).
	Listen string
	// Name is the server's name, as NATS monitoring, clients and the
	// other servers of its cluster see it. The servers of a cluster need
	// distinct names, kept across restarts (JetStream knows its peers by
	// name). Default: with Cluster set, Cluster's host:port ("myhost:6222"
	// with the machine's hostname for an unspecified host such as
	// "0.0.0.0"), or "shoal-" and random hex if Cluster's port is 0 (then
	// a new name on every Start: give a Name to a server that restarts
	// with its DataDir in a cluster); without Cluster, the server's
	// generated ID.
	Name string

	// JetStream turns JetStream on: streams and key-value buckets, kept
	// in files under DataDir. Setting DataDir turns it on too.
	JetStream bool
	// DataDir is the directory JetStream keeps its files in (under
	// DataDir/jetstream); it is created if need be. A server started
	// again with the same DataDir finds its streams, messages and
	// key-value buckets there. One running server per DataDir. Empty,
	// with JetStream on: a new temporary directory on every Start,
	// removed at Shutdown, so that nothing survives a restart.
	DataDir string
	// JetStreamMaxMemory and JetStreamMaxStore bound the bytes JetStream
	// keeps in memory and in DataDir (0: NATS's defaults, three quarters
	// of the machine's memory, and of the disk's free space).
	JetStreamMaxMemory, JetStreamMaxStore int64

	// Cluster is the host:port this server listens on for routes from the
	// other servers of its NATS cluster (port 0 picks a free one, see
	// RouteURL). Empty: no cluster, the server is alone.
	Cluster string
	// Routes are the route URLs (nats-route://host:port) of the other
	// servers of the cluster, which this one connects to, retrying every
	// second until they run; it needs Cluster. The same list on every
	// server, this one's own URL included, is the usual way: a server
	// finds it routes to itself and drops that route. With JetStream a
	// server needs Routes, and their number is NATS's first guess of the
	// cluster's size: list every server.
	Routes []string
	// ClusterName is the NATS cluster's name, the same on all its servers
	// (default DefaultClusterName). Only with Cluster.
	ClusterName string

	mu      sync.Mutex
	srv     *server.Server // while running
	tempDir string         // the temporary DataDir of this run, removed at Shutdown; "" if none
}

// Start starts the server and returns the URL its clients connect to, once
// it accepts them, and with JetStream once JetStream runs (alone, it can
// take streams at once; in a cluster, only once the servers have elected a
// JetStream leader, which needs a majority of them running: see
// WaitJetStream). It fails with an error wrapping ErrBadConfig for an
// invalid field (see ErrBadConfig), ErrRunning if the server runs already,
// or the reason the server did not start (a port in use). A server that
// was shut down can be started again.
func (s *Server) Start() (url string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", ErrRunning
	}
	opts, err := s.options()
	if err != nil {
		return "", err
	}
	if err := s.preflight(opts); err != nil {
		return "", err
	}
	var tempDir string
	if opts.JetStream && opts.StoreDir == "" {
		if tempDir, err = os.MkdirTemp("", "natsserver-"); err != nil {
			return "", fmt.Errorf("natsserver: a temporary data directory: %w", err)
		}
		opts.StoreDir = tempDir
		defer func() {
			if err != nil {
				os.RemoveAll(tempDir)
			}
		}()
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	log := &fatalLog{}
	srv.SetLoggerV2(log, false, false, false)
	srv.Start()
	if err := ready(srv, opts, log); err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return "", err
	}
	s.srv, s.tempDir = srv, tempDir
	return srv.ClientURL(), nil
}

// ready waits until srv, just started, accepts clients and routes and runs
// JetStream if opts ask for it, or reports why not.
func ready(srv *server.Server, opts *server.Options, log *fatalLog) error {
	deadline := time.Now().Add(readyWithin)
	for !srv.ReadyForConnections(100 * time.Millisecond) {
		if msg := log.fatal(); msg != "" {
			return fmt.Errorf("natsserver: %s", msg)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("natsserver: the server did not start within %v (are its ports free?)", readyWithin)
		}
	}
	if msg := log.fatal(); msg != "" {
		return fmt.Errorf("natsserver: %s", msg)
	}
	if opts.JetStream && !srv.JetStreamEnabled() {
		return fmt.Errorf("natsserver: JetStream did not start")
	}
	return nil
}

// Shutdown stops the server, closing its clients' and routes' connections,
// and returns once it has stopped; with a temporary DataDir, that directory
// is removed. It does nothing on a server that is not running. In a
// cluster the server first hands its JetStream leaderships to others.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
		s.tempDir = ""
	}
}

// ClientURL returns the URL clients connect to (with the port chosen, if
// Listen's was 0) while the server runs, else "".
func (s *Server) ClientURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return ""
	}
	return s.srv.ClientURL()
}

// RouteURL returns the URL the other servers of its cluster route to, for
// their Routes (nats-route://host:port, with the port chosen if Cluster's
// was 0), while the server runs with a Cluster, else "". Its host is the
// one the server listens on: for an unspecified one (0.0.0.0), servers on
// other machines need this machine's address instead.
func (s *Server) RouteURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return ""
	}
	addr := s.srv.ClusterAddr()
	if addr == nil {
		return ""
	}
	return "nats-route://" + addr.String()
}
