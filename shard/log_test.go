package shard

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// logRecord is one record a logRecorder kept: its level, message and
// attributes (values as strings).
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

// logRecorder is a slog.Handler keeping every record, for tests. It
// ignores WithAttrs and WithGroup: the set must put what a record needs
// into the record itself.
type logRecorder struct {
	mu      sync.Mutex
	records []logRecord
	changed chan struct{} // one pending signal: records grew
}

func newLogRecorder() *logRecorder { return &logRecorder{changed: make(chan struct{}, 1)} }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	a := map[string]string{}
	rec.Attrs(func(at slog.Attr) bool { a[at.Key] = at.Value.String(); return true })
	r.mu.Lock()
	r.records = append(r.records, logRecord{level: rec.Level, msg: rec.Message, attrs: a})
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
	return nil
}

func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

func (r *logRecorder) snapshot() []logRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]logRecord(nil), r.records...)
}

// waitCount returns the records with message msg once there are n of
// them, waiting up to waitFor. Test goroutine only.
func (r *logRecorder) waitCount(t testing.TB, msg string, n int) []logRecord {
	t.Helper()
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	for {
		var got []logRecord
		for _, rec := range r.snapshot() {
			if rec.msg == msg {
				got = append(got, rec)
			}
		}
		if len(got) >= n {
			return got
		}
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("waited %v for %d records %q; records: %+v", waitFor, n, msg, r.snapshot())
		}
	}
}

// The set logs a listening socket starting and stopping, at Debug, with its
// address and, for a socket a shard serves itself, the shard; connections
// and messages log nothing.
func TestLogsListenersStartingAndStopping(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reusePort bool
		shards    []string // the records' "shard": "" for the acceptor's
	}{
		{name: "acceptor", shards: []string{""}},
		{name: "reuseport", reusePort: true, shards: []string{"0", "1"}}, // a socket per shard
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := newLogRecorder()
			set := newFakeSetWith(t, Config{Shards: 2, ReusePort: tc.reusePort, Logger: slog.New(logs)}, nil, &hooks{
				receive: func(s *Shard, c *Conn, _ uint64, msg any) { _ = s.WriteFrame(c, msg.([]byte)) },
			})
			l := listen(t, set, "tcp", lines(), Limits{})
			start(t, set)
			started := logs.waitCount(t, "listener started", len(tc.shards))
			for i := 0; i < 4; i++ {
				nc := dial(t, l)
				for j := 0; j < 5; j++ {
					if _, err := io.WriteString(nc, "ping\n"); err != nil {
						t.Fatal(err)
					}
					if _, err := io.ReadFull(nc, make([]byte, 5)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := set.CloseListener(l, nil); err != nil {
				t.Fatal(err)
			}
			stopped := logs.waitCount(t, "listener stopped", len(tc.shards))
			for _, recs := range [][]logRecord{started, stopped} {
				seen := map[string]bool{}
				for _, rec := range recs {
					if rec.level != slog.LevelDebug || rec.attrs["addr"] != l.Addr().String() || rec.attrs["network"] != "tcp" {
						t.Errorf("record %+v, want Debug with addr %s, network tcp", rec, l.Addr())
					}
					seen[rec.attrs["shard"]] = true
				}
				for _, sh := range tc.shards {
					if !seen[sh] || len(seen) != len(tc.shards) {
						t.Errorf("records %+v, want one with shard %q for each of %q", recs, sh, tc.shards)
					}
				}
			}
			if got := logs.snapshot(); len(got) != 2*len(tc.shards) {
				t.Errorf("records %+v, want only the listeners': nothing per connection or message", got)
			}
		})
	}
}

// A rate-limited record goes through once per logEvery and then says how
// many were left out in between.
func TestLogLimitLetsOneRecordThroughPerInterval(t *testing.T) {
	var l logLimit
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at     time.Duration
		ok     bool
		missed int
	}{
		{at: 0, ok: true},
		{at: time.Millisecond},
		{at: logEvery - time.Nanosecond},
		{at: logEvery, ok: true, missed: 2},
		{at: logEvery + 1},
		{at: 3 * logEvery, ok: true, missed: 1},
	}
	for _, s := range steps {
		if ok, missed := l.allow(t0.Add(s.at)); ok != s.ok || missed != s.missed {
			t.Fatalf("at %v: allow = %v, %d; want %v, %d", s.at, ok, missed, s.ok, s.missed)
		}
	}
}
