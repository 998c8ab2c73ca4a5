package natsserver

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// jetStreamPoll is how often WaitJetStream looks at the server's JetStream.
const jetStreamPoll = 20 * time.Millisecond

// WaitJetStream returns once the running server's JetStream can create
// streams and key-value buckets: at once for a server alone; in a cluster,
// once this server knows the JetStream meta leader the servers elected
// and is up to date with it, which needs a majority of the servers
// listed in Routes running (see the package doc for how long elections
// take). It fails with ErrNotRunning if the server is not running
// or is shut down meanwhile, ErrNoJetStream if it runs without JetStream,
// or ctx's error (wrapped, with what JetStream still lacks) when ctx is
// done first. Safe from any goroutine; it does not hold up Shutdown.
func (s *Server) WaitJetStream(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return ErrNotRunning
	}
	if !srv.JetStreamEnabled() {
		return ErrNoJetStream
	}
	tick := time.NewTicker(jetStreamPoll)
	defer tick.Stop()
	for {
		if !srv.Running() {
			return ErrNotRunning
		}
		h := srv.Healthz(&server.HealthzOptions{JSMetaOnly: true})
		if h.Error == "" && len(h.Errors) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natsserver: waiting for JetStream (%s): %w", h.Error, ctx.Err())
		case <-tick.C:
		}
	}
}
