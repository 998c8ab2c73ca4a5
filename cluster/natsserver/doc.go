// Package natsserver runs a NATS server inside the process: the one-machine
// default of a Shoal cluster, and a server for tests.
//
// A node that runs it itself starts it when its system starts and shuts it
// down when the system stops, after saying goodbye to the other nodes:
//
//	node, err := cluster.New(cluster.Config{Server: &natsserver.Server{}, Messages: msgs})
//
// The other nodes (other processes, or other machines if Listen is not a
// loopback address) connect to it with cluster.Config.URL set to its
// ClientURL (nats://127.0.0.1:4222 by default). A server can also run on
// its own, for nodes that all connect by URL:
//
//	srv := &natsserver.Server{Listen: "127.0.0.1:0"}
//	url, err := srv.Start()
//	defer srv.Shutdown()
//
// For production run NATS servers of their own (a NATS cluster) and give
// every node their URL: such a node does not import this package, and its
// binary does not link github.com/nats-io/nats-server.
//
// The package owns the embedded server's options and lifecycle, and only
// those. It knows nothing of package cluster (a *Server is a
// cluster.Server without importing it), of actors or of sockets.
package natsserver
