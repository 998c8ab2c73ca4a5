package natsserver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultClusterName is the NATS cluster name of a Server whose Cluster is
// set and ClusterName empty.
const DefaultClusterName = "shoal"

// options checks s's fields and turns them into the NATS server's options.
// It touches nothing outside s (no directory, no port): see preflight.
func (s *Server) options() (*server.Options, error) {
	listen := s.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, port, err := hostPort("listen", listen)
	if err != nil {
		return nil, err
	}
	if s.JetStreamMaxMemory < 0 || s.JetStreamMaxStore < 0 {
		return nil, fmt.Errorf("%w: negative JetStream limits (memory %d, store %d)", ErrBadConfig, s.JetStreamMaxMemory, s.JetStreamMaxStore)
	}
	opts := &server.Options{
		ServerName:         s.Name,
		Host:               host,
		Port:               randomIfZero(port),
		NoLog:              true,
		NoSigs:             true,
		JetStream:          s.JetStream || s.DataDir != "",
		StoreDir:           s.DataDir,
		JetStreamMaxMemory: s.JetStreamMaxMemory,
		JetStreamMaxStore:  s.JetStreamMaxStore,
	}
	if s.Cluster == "" {
		if len(s.Routes) > 0 {
			return nil, fmt.Errorf("%w: Routes without Cluster: set Cluster, the host:port this server listens on for routes", ErrBadConfig)
		}
		if s.ClusterName != "" {
			return nil, fmt.Errorf("%w: ClusterName without Cluster", ErrBadConfig)
		}
		return opts, nil
	}
	chost, cport, err := hostPort("cluster", s.Cluster)
	if err != nil {
		return nil, err
	}
	if opts.JetStream && len(s.Routes) == 0 {
		// NATS would fail in Start ("JetStream cluster requires configured
		// routes"), and the number of routes is its guess of the cluster's
		// size.
		return nil, fmt.Errorf("%w: JetStream in a cluster needs Routes: the route URLs of every server of the cluster, this one's included", ErrBadConfig)
	}
	for _, r := range s.Routes {
		u, err := routeURL(r)
		if err != nil {
			return nil, err
		}
		opts.Routes = append(opts.Routes, u)
	}
	opts.Cluster = server.ClusterOpts{Name: s.ClusterName, Host: chost, Port: randomIfZero(cport)}
	if opts.Cluster.Name == "" {
		opts.Cluster.Name = DefaultClusterName
	}
	if opts.ServerName == "" {
		if opts.ServerName, err = defaultName(chost, cport); err != nil {
			return nil, err
		}
	}
	return opts, nil
}

// preflight checks what options cannot: that the ports given are free and
// that DataDir can be created and written, as the NATS server would find
// (it would only time out on a port in use, or fail in its Start).
func (s *Server) preflight(opts *server.Options) error {
	if opts.Port > 0 {
		if err := portFree(net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))); err != nil {
			return fmt.Errorf("natsserver: %w", err)
		}
	}
	if opts.Cluster.Port > 0 {
		if err := portFree(net.JoinHostPort(opts.Cluster.Host, strconv.Itoa(opts.Cluster.Port))); err != nil {
			return fmt.Errorf("natsserver: cluster: %w", err)
		}
	}
	if s.DataDir != "" {
		if err := writableDir(s.DataDir); err != nil {
			return fmt.Errorf("%w: data directory %q: %w", ErrBadConfig, s.DataDir, err)
		}
	}
	return nil
}

// hostPort splits addr, the value of the field named field, into a host
// and a port in [0, 65535].
func hostPort(field, addr string) (host string, port int, err error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %s address %q: %v", ErrBadConfig, field, addr, err)
	}
	port, err = strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%w: %s port %q", ErrBadConfig, field, ps)
	}
	return host, port, nil
}

// routeURL parses r, which must be nats-route://host:port (nats://host:port
// is taken too, as NATS does).
func routeURL(r string) (*url.URL, error) {
	u, err := url.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%w: route %q: not nats-route://host:port: %v", ErrBadConfig, r, err)
	}
	if (u.Scheme != "nats-route" && u.Scheme != "nats") || u.Opaque != "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: route %q: not nats-route://host:port", ErrBadConfig, r)
	}
	host, ps, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" {
		return nil, fmt.Errorf("%w: route %q: not nats-route://host:port", ErrBadConfig, r)
	}
	if p, err := strconv.Atoi(ps); err != nil || p < 1 || p > 65535 {
		return nil, fmt.Errorf("%w: route %q: port %q", ErrBadConfig, r, ps)
	}
	return u, nil
}

// defaultName is the Name of a server in a cluster whose Name is empty,
// listening for routes on host:port: "host:port", with the machine's
// hostname for an unspecified host, so that servers on one machine or on
// several get distinct names that stay the same across restarts. With port
// 0 (a port known only once listening) it is "shoal-" and random hex.
func defaultName(host string, port int) (string, error) {
	if port == 0 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("natsserver: a server name: %w", err)
		}
		return "shoal-" + hex.EncodeToString(b[:]), nil
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		h, err := os.Hostname()
		if err != nil {
			return "", fmt.Errorf("natsserver: a server name: %w", err)
		}
		host = h
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// randomIfZero turns port 0 (any free port, to us) into NATS's way of
// saying so (its 0 is its default client port, or no cluster).
func randomIfZero(port int) int {
	if port == 0 {
		return server.RANDOM_PORT
	}
	return port
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

// writableDir creates dir if need be and checks that a file can be
// created in it.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".natsserver-check-")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
