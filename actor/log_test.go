package actor_test

import (
	"bufio"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// recorder is a slog.Handler keeping every record's message and attributes.
type recorder struct {
	mu      sync.Mutex
	records []record
}

type record struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	a := map[string]string{}
	rec.Attrs(func(at slog.Attr) bool { a[at.Key] = at.Value.String(); return true })
	r.mu.Lock()
	r.records = append(r.records, record{level: rec.Level, msg: rec.Message, attrs: a})
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// find returns the records with message msg.
func (r *recorder) find(msg string) []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []record
	for _, rec := range r.records {
		if rec.msg == msg {
			out = append(out, rec)
		}
	}
	return out
}

// The system logs what an operator needs — a listener starting and
// closing, an actor's panic with its ID, shard and stack, dead letters at
// a bounded rate — through the Logger option, and nothing per message on a
// healthy path.
func TestStructuredLogs(t *testing.T) {
	rec := &recorder{}
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok {
			switch string(b) {
			case "panic":
				panic("on purpose")
			case "dead":
				for i := 0; i < 100; i++ {
					ctx.Send(ctx.Self()+1, i) // a stale ID: a dead letter each
				}
				ctx.WriteBytes([]byte("sent"))
			default:
				ctx.WriteBytes(b)
			}
		}
	}
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory, actor.Logger(slog.New(rec)))
	require.Len(t, rec.find("listening"), 1)
	require.Equal(t, l.Addr().String(), rec.find("listening")[0].attrs["addr"])

	c := dial(t, l.Addr())
	r := bufio.NewReader(c)
	for i := 0; i < 50; i++ { // a healthy hot path logs nothing
		echoOn(t, c, r, "hello")
	}
	rec.mu.Lock()
	healthy := 0
	for _, r := range rec.records {
		if r.level >= slog.LevelInfo { // the event loop's Debug records of its sockets aside
			healthy++
		}
	}
	rec.mu.Unlock()

	_, err := c.Write([]byte("dead\n"))
	require.NoError(t, err)
	require.Equal(t, "sent", readLine(t, r))
	require.Eventually(t, func() bool { return sys.Stats()[0].DeadLetters >= 100 }, waitFor, time.Millisecond)
	dead := rec.find("dead letter")
	require.Len(t, dead, 1, "100 dead letters in one second make one record")
	require.Equal(t, "0", dead[0].attrs["shard"])
	require.Equal(t, "int", dead[0].attrs["type"])

	id := p.next(t, isOpened).id
	_, err = c.Write([]byte("panic\n"))
	require.NoError(t, err)
	p.next(t, isClosed)
	failed := rec.find("actor failed")
	require.Len(t, failed, 1)
	require.Equal(t, id.String(), failed[0].attrs["actor"])
	require.Equal(t, "0", failed[0].attrs["shard"])
	require.Equal(t, "on purpose", failed[0].attrs["panic"])
	require.Contains(t, failed[0].attrs["stack"], "panic(")
	require.Equal(t, slog.LevelError, failed[0].level)

	require.NoError(t, l.Close())
	require.Len(t, rec.find("listener closed"), 1)
	require.Equal(t, 1, healthy, "only the listening record before the faults")
}

// Results of Context.Go that cannot be delivered (the system stopping, a
// full inbox) are logged at a bounded rate, like dead letters and drops.
func TestLostGoResultsRateLimited(t *testing.T) {
	rec := &recorder{}
	sys, err := actor.NewSystem(actor.Logger(slog.New(rec)), actor.Workers(4, 1000))
	require.NoError(t, err)
	require.NoError(t, sys.Start())
	started := make(chan struct{})
	_, err = sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if _, ok := ctx.Message().(actor.Started); ok {
				for i := 0; i < 500; i++ {
					_, err := ctx.Go(func() (any, error) { time.Sleep(time.Millisecond); return nil, nil })
					if err != nil {
						panic(err)
					}
				}
				close(started)
			}
		})
	})
	require.NoError(t, err)
	<-started
	require.NoError(t, sys.Stop(context.Background()))
	n := len(rec.find("result of Context.Go lost"))
	t.Logf("%d records", n)
	require.LessOrEqual(t, n, 3)
}
