package cluster

import "fmt"

// Server is a NATS server a node runs itself (Config.Server): the node
// starts it before connecting to it and shuts it down when it stops, after
// its goodbye. natsserver.Server, the embedded NATS server, is one; the
// package cluster does not import it, so a node that connects to external
// servers by URL does not link a NATS server.
type Server interface {
	// Start starts the server and returns the URL the node (and any other
	// node) connects to. A node calls it once, from its Start.
	Start() (url string, err error)
	// Shutdown stops the server and returns once it has stopped. A node
	// calls it from its Stop, and from its Start if that fails after the
	// server started.
	Shutdown()
}

// startServer starts the node's Config.Server and returns its URL.
func (n *Node) startServer() (string, error) {
	url, err := n.cfg.Server.Start()
	if err != nil {
		return "", fmt.Errorf("cluster: node %d: starting its NATS server: %w", n.node, err)
	}
	n.mu.Lock()
	n.serving, n.serverURL = true, url
	if url == "" {
		n.stopServer()
		n.mu.Unlock()
		return "", fmt.Errorf("cluster: node %d: its NATS server started without a URL", n.node)
	}
	n.mu.Unlock()
	return url, nil
}

// stopServer shuts the node's Config.Server down, if it runs. n.mu held.
func (n *Node) stopServer() {
	if n.serving {
		n.cfg.Server.Shutdown()
		n.serving, n.serverURL = false, ""
	}
}

// ClientURL returns the URL of the NATS server the node runs (Config.Server)
// while it runs, for the other nodes' Config.URL; "" for a node without one,
// before Start and after Stop.
func (n *Node) ClientURL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.serverURL
}
