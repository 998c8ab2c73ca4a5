package cluster

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultListen is the embedded NATS server's address when Config.Listen is
// empty.
const DefaultListen = "127.0.0.1:4222"

// startServer runs the embedded NATS server on cfg.Listen.
func (n *Node) startServer() (*server.Server, error) {
	host, port, _ := net.SplitHostPort(n.cfg.Listen)
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("%w: listen port %q", ErrBadConfig, port)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: fmt.Sprintf("shoal-%s-%d", n.cfg.Name, n.node),
		Host:       host,
		Port:       p,
		NoLog:      true,
		NoSigs:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("cluster: embedded NATS server on %s did not start (is the port free?)", n.cfg.Listen)
	}
	return srv, nil
}

func (n *Node) stopServer() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

// ClientURL returns the embedded NATS server's URL, for the other nodes'
// Config.URL; "" for a node without one (or before Start).
func (n *Node) ClientURL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv == nil {
		return ""
	}
	return n.srv.ClientURL()
}
