package load

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/shoalrt/shoal/bench/internal/procstat"
)

// RunIdle measures the server's memory per idle connection: it reads the
// server's RSS, opens cfg.Conns connections (spread over cfg.Sources;
// upgraded to WebSocket for ProtoWS, TLS for ProtoTLS), echoes one cfg.Size-byte message on
// each, waits cfg.Settle, reads the RSS again,
// and closes them all. cfg.ServerPID must be set. Safe to call from any
// goroutine.
func RunIdle(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	if cfg.ServerPID <= 0 {
		return Result{}, fmt.Errorf("%w: RunIdle needs ServerPID", ErrBadConfig)
	}
	before, err := procstat.ReadRSS(cfg.ServerPID)
	if err != nil {
		return Result{}, fmt.Errorf("load: server RSS: %w", err)
	}
	st := new(stats)
	conns, err := dialAll(ctx, cfg, func(i int, c *net.TCPConn) error {
		conn, err := cfg.open(c)
		if err != nil {
			return err
		}
		_ = c.SetDeadline(time.Now().Add(cfg.DialTimeout))
		if cfg.Proto == ProtoWS {
			if err := newWSClient(i, c, cfg.Size, 1).exchange(st); err != nil {
				return err
			}
			return c.SetDeadline(time.Time{})
		}
		_, ok, err := newClient(i, conn, cfg.Size, 1).roundTrip()
		if err != nil {
			return err
		}
		if !ok {
			st.bad.Add(1)
		}
		return c.SetDeadline(time.Time{})
	})
	if err != nil {
		return Result{}, err
	}
	defer closeAll(conns)
	if err := sleep(ctx, cfg.Settle); err != nil {
		return Result{}, err
	}
	after, err := procstat.ReadRSS(cfg.ServerPID)
	if err != nil {
		return Result{}, fmt.Errorf("load: server RSS: %w", err)
	}
	return Result{
		Proto:        cfg.Proto,
		Conns:        cfg.Conns,
		Size:         cfg.Size,
		Depth:        1,
		Messages:     uint64(cfg.Conns),
		BadEchoes:    st.bad.Load(),
		RSSBefore:    before,
		RSSAfter:     after,
		BytesPerConn: (float64(after) - float64(before)) / float64(cfg.Conns),
	}, nil
}
