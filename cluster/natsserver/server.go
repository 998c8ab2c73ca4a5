package natsserver

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultListen is the address of a Server whose Listen is empty.
const DefaultListen = "127.0.0.1:4222"

// readyWithin bounds how long Start waits for the server to accept clients.
const readyWithin = 10 * time.Second

// Server is a NATS server running in this process, with the options a
// cluster's one-machine default needs: no logging of its own, no signal
// handlers, no authentication, no JetStream. The zero value listens on
// DefaultListen. Set its fields before Start, or between Shutdown and the
// next Start; its methods are safe from any goroutine.
type Server struct {
	// Listen is the host:port clients connect to (default DefaultListen;
	// port 0 picks a free one, see ClientURL).
	Listen string
	// Name is the server's name, as NATS monitoring and clients see it
	// (default: the server's generated ID).
	Name string

	mu  sync.Mutex
	srv *server.Server // while running
}

// Start starts the server on Listen and returns the URL its clients connect
// to, once it accepts them. It fails with an error wrapping ErrBadConfig for
// a Listen that is not host:port, ErrRunning if the server runs already, or
// the reason the server did not start (a port in use). A server that was
// shut down can be started again.
func (s *Server) Start() (url string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", ErrRunning
	}
	listen := s.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("%w: listen address %q: %v", ErrBadConfig, listen, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", fmt.Errorf("%w: listen port %q", ErrBadConfig, port)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	} else if err := portFree(listen); err != nil {
		// The server would only time out on it, silently.
		return "", fmt.Errorf("natsserver: %w", err)
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: s.Name,
		Host:       host,
		Port:       p,
		NoLog:      true,
		NoSigs:     true,
	})
	if err != nil {
		return "", fmt.Errorf("natsserver: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(readyWithin) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return "", fmt.Errorf("natsserver: the server on %s did not start within %v (is the port free?)", listen, readyWithin)
	}
	s.srv = srv
	return srv.ClientURL(), nil
}

// Shutdown stops the server, closing its clients' connections, and returns
// once it has stopped. It does nothing on a server that is not running.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
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

// portFree reports an error if nothing can listen on addr now (a port in
// use, an address not of this machine), as the server would find.
func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}
