// Package natsserver runs a NATS server inside the process: the one-machine
// default of a Shoal cluster, a member of a NATS cluster of such servers,
// and a server for tests.
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
// # JetStream
//
// With JetStream (or a DataDir) the server also keeps streams and
// key-value buckets, in files under DataDir: a server started again on the
// same DataDir has them back, messages included. Without a DataDir they
// live in a temporary directory removed at Shutdown, so they do not
// survive a restart. NATS syncs its files to the disk only every two
// minutes: a machine that loses power may lose the last writes of a
// stream not replicated on other machines.
//
// # A NATS cluster of embedded servers
//
// Servers on several machines (or in several processes) form one NATS
// cluster when each listens for routes (Cluster) and lists the others'
// route URLs (Routes); a message published on one reaches subscribers on
// every one, and JetStream replicates streams over them (a stream with
// Replicas 3 on a cluster of three keeps all its messages when one server
// stops, and goes on taking new ones). On each of three machines:
//
//	srv := &natsserver.Server{
//		Listen:  "0.0.0.0:4222",
//		Cluster: "0.0.0.0:6222",
//		Routes:  []string{"nats-route://a:6222", "nats-route://b:6222", "nats-route://c:6222"},
//		DataDir: "/var/lib/myapp/nats",
//	}
//
// The same Routes everywhere is the usual way (a server drops the route to
// itself). The servers are named after their Cluster address ("a:6222"
// with hostname a), distinct and kept across restarts, as JetStream
// needs. Start returns without waiting for the others: JetStream takes
// streams only once a majority of the listed servers run and have elected
// a JetStream leader, and WaitJetStream waits for that (on loopback,
// usually within a second of the second server's start, 5 or 6 seconds
// when the first vote fails). A server that shuts down hands its
// leaderships over first (a stream whose leader stopped took messages
// again within 0.3 s in our tests); after a crash the others wait for
// NATS's election timeout, 4 to 9 seconds, before electing new leaders. A
// server restarted on its DataDir catches up on what it missed (about 3 s
// for a small stream on loopback).
//
// NATS servers run apart (a NATS cluster of their own, for production) do
// the same and more; nodes then give their URL and need not import this
// package, so that their binary does not link
// github.com/nats-io/nats-server.
//
// The package owns the embedded server's options and lifecycle, and only
// those. It knows nothing of package cluster (a *Server is a
// cluster.Server without importing it), of actors or of sockets.
package natsserver
