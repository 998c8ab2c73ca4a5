package actor

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Logger sets where the system writes its structured logs (default
// slog.Default()): listeners starting and stopping, accept errors and the
// back-off after them, failures of actors (with the actor's ID, the panic
// and the stack), dead letters and sends dropped for a full inbox (these
// three at most one record per shard and second each, with the count of
// those left out; OnFailure and OnDeadLetter see every one), results of
// Context.Go that could not be delivered (at most one record a second), and the
// cluster's own events if the cluster logs through the same logger. Every
// record made on a shard carries its index ("shard") and, where there is
// one, the actor's ID ("actor"). Nothing is logged per message on a
// healthy path. Use a logger whose handler discards records
// (slog.New(slog.DiscardHandler)) to log nothing.
func Logger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// log returns the system's logger.
func (s *System) log() *slog.Logger { return s.cfg.logger }

// logEvery is the interval of rate-limited records.
const logEvery = time.Second

// limited lets one record through per logEvery and counts the others, for
// events that can come once per message (dead letters, dropped sends, lost
// results of Context.Go). It belongs to one shard's goroutine, or is
// guarded by a lock (the workers').
type limited struct {
	next   time.Time // when the next record may be written
	missed int       // events left out since the last record
}

// allow reports whether a record may be written now, and how many events
// were left out before it.
func (l *limited) allow(now time.Time) (ok bool, missed int) {
	if now.Before(l.next) {
		l.missed++
		return false, 0
	}
	missed, l.missed, l.next = l.missed, 0, now.Add(logEvery)
	return true, missed
}

// logDeadLetter writes a rate-limited record of a dead letter.
func (h *handler) logDeadLetter(to, from ID, msg any) {
	lg := h.sys.log()
	if !lg.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	if ok, missed := h.deadLog.allow(time.Now()); ok {
		lg.LogAttrs(context.Background(), slog.LevelInfo, "dead letter",
			slog.Int("shard", h.sh.Index()), slog.String("actor", to.String()), slog.String("from", from.String()),
			slog.String("type", typeName(msg)), slog.Int("missed", missed))
	}
}

// logInboxFull writes a rate-limited record of a send from an actor of this
// shard that failed because the target's inbox was full.
func (h *handler) logInboxFull(from, to ID) {
	lg := h.sys.log()
	if !lg.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	if ok, missed := h.fullLog.allow(time.Now()); ok {
		lg.LogAttrs(context.Background(), slog.LevelWarn, "send dropped: inbox full",
			slog.Int("shard", h.sh.Index()), slog.String("actor", from.String()), slog.String("to", to.String()),
			slog.Int("missed", missed))
	}
}

// logFailure writes the record of an actor's panic, at most one per shard
// and second (an actor that panics on every message must not flood the
// log; OnFailure sees every one).
func (h *handler) logFailure(f Failure) {
	if ok, missed := h.failLog.allow(time.Now()); ok {
		h.sys.log().LogAttrs(context.Background(), slog.LevelError, "actor failed",
			slog.Int("shard", h.sh.Index()), slog.String("actor", f.ID.String()),
			slog.Any("panic", f.Panic), slog.String("action", f.Action.String()), slog.String("stack", string(f.Stack)),
			slog.Int("missed", missed))
	}
}

// typeName names msg's dynamic type for a log record.
func typeName(msg any) string {
	if msg == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", msg)
}
