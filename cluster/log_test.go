package cluster_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// logged is one record a recorder kept: its level, message and attributes
// (those of the logger's With too) as text.
type logged struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

// recorder is a slog.Handler that keeps every record in memory.
type recorder struct {
	mu    *sync.Mutex
	list  *[]logged
	attrs []slog.Attr // from WithAttrs
}

func newRecorder() recorder { return recorder{mu: new(sync.Mutex), list: new([]logged)} }

func (recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h recorder) Handle(_ context.Context, r slog.Record) error {
	l := logged{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		l.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		l.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	*h.list = append(*h.list, l)
	h.mu.Unlock()
	return nil
}

func (h recorder) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(slices.Clip(h.attrs), as...)
	return h
}

func (h recorder) WithGroup(string) slog.Handler { return h } // the node uses no groups

// records returns a copy of what was logged so far.
func (h recorder) records() []logged {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(*h.list)
}

// find returns the records with message msg.
func (h recorder) find(msg string) []logged {
	var out []logged
	for _, l := range h.records() {
		if l.msg == msg {
			out = append(out, l)
		}
	}
	return out
}

// Two nodes log connecting to NATS and each other coming up; node 1 logs
// node 2 leaving (with the reason) and node 2 its disconnecting. Every
// record names the cluster and its own node; the messages between them
// log nothing.
func TestLogsNodeUpAndDown(t *testing.T) {
	log1, log2 := newRecorder(), newRecorder()
	cfg := cluster.Config{Name: "logs", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: []any{Chat{}},
		Heartbeat: 100 * time.Millisecond, Logger: slog.New(log1)}
	sys1, n1 := startNode(t, cfg, 1)
	cfg.Server, cfg.URL, cfg.Logger = nil, n1.ClientURL(), slog.New(log2)
	sys2, n2 := startNode(t, cfg, 2)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.WaitNodes(ctx, 2))
	require.NoError(t, n2.WaitNodes(ctx, 1))
	waitLogged(t, log1, "node up")
	waitLogged(t, log2, "node up")
	for _, tc := range []struct {
		log        recorder
		node, peer string
	}{{log1, "1", "2"}, {log2, "2", "1"}} {
		conn := tc.log.find("connected to NATS")
		require.Len(t, conn, 1, "node %s", tc.node)
		require.Equal(t, n1.ClientURL(), conn[0].attrs["url"])
		up := tc.log.find("node up")
		require.Len(t, up, 1, "node %s hears of its peer once", tc.node)
		require.Equal(t, slog.LevelInfo, up[0].level)
		require.Equal(t, tc.peer, up[0].attrs["peer"])
	}

	// Messages to and fro: no record.
	before1, before2 := len(log1.records()), len(log2.records())
	got := make(chan struct{}, 100)
	sink := spawn(t, sys2, func(ctx *actor.Context) {
		if _, ok := ctx.Message().(Chat); ok {
			got <- struct{}{}
		}
	})
	for range 100 {
		require.NoError(t, sys1.Send(sink, Chat{Text: "quiet"}))
	}
	for range 100 {
		recv(t, got)
	}
	require.Len(t, log1.records(), before1, "nothing logged per message: %+v", log1.records()[before1:])
	require.Len(t, log2.records(), before2, "nothing logged per message: %+v", log2.records()[before2:])

	stop(t, sys2)
	down := waitLogged(t, log1, "node down")
	require.Equal(t, slog.LevelInfo, down.level, "a goodbye is no warning")
	require.Equal(t, "2", down.attrs["peer"])
	require.Equal(t, cluster.ErrNodeLeft.Error(), down.attrs["reason"])
	require.Equal(t, slog.LevelInfo, waitLogged(t, log2, "disconnected from NATS").level, "node 2 says it disconnected, as it meant to")

	for _, tc := range []struct {
		log  recorder
		node string
	}{{log1, "1"}, {log2, "2"}} {
		for _, l := range tc.log.records() {
			require.Equal(t, tc.node, l.attrs["node"], "%+v", l)
			require.Equal(t, "logs", l.attrs["cluster"], "%+v", l)
		}
	}
}

// Errors away from any caller go to OnError each, and to the log at most
// once a second for each kind, with the count of those left out.
func TestLogsErrorsRateLimited(t *testing.T) {
	const garbage = 50
	log1 := newRecorder()
	errs := make(chan error, garbage)
	cfg := cluster.Config{Name: "errlogs", Server: &natsserver.Server{Listen: "127.0.0.1:0"},
		Logger: slog.New(log1), OnError: func(err error) { errs <- err }}
	_, n1 := startNode(t, cfg, 1)
	nc, err := nats.Connect(n1.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	start := time.Now()
	for range garbage {
		require.NoError(t, nc.Publish("shoal.errlogs.n.1", []byte{0xff, 1, 2, 3}))
	}
	require.NoError(t, nc.Flush())
	for range garbage {
		require.ErrorIs(t, recv(t, errs), cluster.ErrMalformed)
	}
	seconds := int(time.Since(start)/time.Second) + 1
	bad := log1.find("malformed message from the cluster")
	require.NotEmpty(t, bad)
	require.LessOrEqual(t, len(bad), seconds, "at most one a second")
	require.Equal(t, slog.LevelWarn, bad[0].level)
	require.Equal(t, "0", bad[0].attrs["missed"])
	require.Contains(t, bad[0].attrs["err"], cluster.ErrMalformed.Error())
	require.Equal(t, uint64(garbage), n1.Stats().Malformed)
}

// waitLogged waits for the first record with message msg in log.
func waitLogged(t *testing.T, log recorder, msg string) logged {
	t.Helper()
	var found []logged
	require.Eventually(t, func() bool {
		found = log.find(msg)
		return len(found) > 0
	}, waitFor, 5*time.Millisecond, "no %q record", msg)
	return found[0]
}
