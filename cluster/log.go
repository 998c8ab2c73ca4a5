package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// The node's records (Config.Logger), each with the cluster's name and the
// node's number (n.log). Membership changes and connection events are
// rare and logged each; errors can come once per envelope (a full shard, a
// flood of malformed messages), so each kind is logged at most once per
// logEvery, with the count of those left out ("missed"). A healthy path
// logs nothing.

// Messages of the error records, one per kind of error.
const (
	logNATSError   = "NATS error"
	logPublish     = "publishing a batch failed"
	logSubscribe   = "subscribing to a group failed"
	logMalformed   = "malformed message from the cluster"
	logDeliver     = "delivering an envelope failed"
	logNodeEvent   = "telling watchers of a node event failed"
	logNumberTaken = "another node has this node's number"
	logStore       = "the group store failed"
)

// logEvery is the interval of rate-limited records.
const logEvery = time.Second

// limiter lets one record of each kind through per logEvery and counts the
// others. Safe from any goroutine (errors are off the hot path).
type limiter struct {
	mu    sync.Mutex
	kinds map[string]*limited
}

type limited struct {
	next   time.Time // when the next record of its kind may be written
	missed int       // records left out since the last one
}

// allow reports whether a record of kind may be written now, and how many
// were left out before it.
func (l *limiter) allow(kind string, now time.Time) (ok bool, missed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kinds == nil {
		l.kinds = make(map[string]*limited)
	}
	k := l.kinds[kind]
	if k == nil {
		k = &limited{}
		l.kinds[kind] = k
	}
	if now.Before(k.next) {
		k.missed++
		return false, 0
	}
	missed, k.missed, k.next = k.missed, 0, now.Add(logEvery)
	return true, missed
}

// report hands err to Config.OnError and logs it as a record of kind, one
// of the log* messages, rate-limited.
func (n *Node) report(kind string, err error) {
	if n.cfg.OnError != nil {
		n.cfg.OnError(err)
	}
	if !n.log.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	if ok, missed := n.errLog.allow(kind, time.Now()); ok {
		n.log.LogAttrs(context.Background(), slog.LevelWarn, kind, slog.Any("err", err), slog.Int("missed", missed))
	}
}

// connHandlers are the NATS connection's handlers: asynchronous errors,
// and losing the connection and getting it back.
func (n *Node) connHandlers() []nats.Option {
	return []nats.Option{
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				n.dropped.Add(1)
				if sub != nil && n.store.feeds(sub) {
					// The history feed lost republished messages: the
					// chain repairs a group at its next one; probe for
					// the last ones.
					n.store.probeAll(nil, probeAfter)
				}
			}
			n.report(logNATSError, fmt.Errorf("cluster: node %d: %w", n.node, err))
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if n.live.Load() == nil { // Stop closed it
				n.log.LogAttrs(context.Background(), slog.LevelInfo, "disconnected from NATS")
				return
			}
			n.log.LogAttrs(context.Background(), slog.LevelWarn, "disconnected from NATS, reconnecting", slog.Any("err", err))
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			n.log.LogAttrs(context.Background(), slog.LevelInfo, "reconnected to NATS",
				slog.String("url", nc.ConnectedUrlRedacted()), slog.String("server", nc.ConnectedServerName()))
			n.store.probeAll(nil, probeAfter) // what was republished while disconnected
		}),
	}
}

// logNodeUp records that node v came up.
func (n *Node) logNodeUp(v int) {
	n.log.LogAttrs(context.Background(), slog.LevelInfo, "node up", slog.Int("peer", v))
}

// logNodeDown records that node v went down for reason: a warning unless
// it said goodbye.
func (n *Node) logNodeDown(v int, reason error) {
	level := slog.LevelWarn
	if errors.Is(reason, ErrNodeLeft) {
		level = slog.LevelInfo
	}
	n.log.LogAttrs(context.Background(), level, "node down", slog.Int("peer", v), slog.Any("reason", reason))
}
