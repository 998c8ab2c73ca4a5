package load

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// dialAll opens cfg.Conns connections to cfg.Addr, at most
// cfg.DialConcurrency at a time, connection i from cfg.Sources[i%len]. If
// each is not nil it runs on the dialing goroutine right after connection i
// opens; its error fails the dial. On any failure dialAll stops dialing,
// closes what it opened and returns an error wrapping ErrDial and the first
// failure. cfg must have its defaults applied.
func dialAll(ctx context.Context, cfg Config, each func(i int, c *net.TCPConn) error) ([]*net.TCPConn, error) {
	conns := make([]*net.TCPConn, cfg.Conns)
	dialers := make([]net.Dialer, max(len(cfg.Sources), 1))
	for i := range dialers {
		dialers[i].Timeout = cfg.DialTimeout
		if len(cfg.Sources) > 0 {
			dialers[i].LocalAddr = &net.TCPAddr{IP: cfg.Sources[i].AsSlice()}
		}
	}

	var (
		next     atomic.Int64 // next connection index to dial
		failed   atomic.Bool  // set once; every dialer stops
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(i int, err error) {
		failed.Store(true)
		errOnce.Do(func() { firstErr = fmt.Errorf("%w: connection %d of %d: %w", ErrDial, i, cfg.Conns, err) })
	}
	for range min(cfg.DialConcurrency, cfg.Conns) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= cfg.Conns {
					return
				}
				c, err := dialers[i%len(dialers)].DialContext(ctx, "tcp", cfg.Addr)
				if err != nil {
					fail(i, err)
					return
				}
				tc := c.(*net.TCPConn)
				conns[i] = tc
				if each != nil {
					if err := each(i, tc); err != nil {
						fail(i, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		closeAll(conns)
		return nil, firstErr
	}
	return conns, nil
}

// closeAll closes every non-nil connection with SO_LINGER 0, so that the
// close sends a reset and leaves no TIME_WAIT socket holding a local port for
// the next run.
func closeAll(conns []*net.TCPConn) {
	for i, c := range conns {
		if c == nil {
			continue
		}
		_ = c.SetLinger(0)
		_ = c.Close()
		conns[i] = nil
	}
}
