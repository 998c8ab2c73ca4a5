package shard

import (
	"context"
	"log/slog"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// Structured logs: the set writes a few records to Config.Logger, none per
// message or per connection (those are only counted, in Stats):
//
//	Warn   accept failed[, backing off]  addr, err, backoff   at most 1/s per listening socket
//	Error  poll failed                   err                  at most 1/s per goroutine
//	Debug  listener started / stopped    addr, network        per socket a shard or the acceptor serves
//
// Every record made on a shard's goroutine carries "shard" (its index)
// first. The attribute is given with each record, not through
// Logger.With, so that a handler that drops WithAttrs still sees it.

// discard is the logger of a set configured without one.
var discard = slog.New(slog.DiscardHandler)

// logEvery is the interval of rate-limited records.
const logEvery = time.Second

// logLimit lets one record through per logEvery and counts the others, for
// events that can repeat as often as a loop turns. It belongs to one
// goroutine.
type logLimit struct {
	next   time.Time // when the next record may be written
	missed int       // events left out since the last record
}

// allow reports whether a record may be written now, and how many events
// were left out before it.
func (l *logLimit) allow(now time.Time) (ok bool, missed int) {
	if now.Before(l.next) {
		l.missed++
		return false, 0
	}
	missed, l.missed, l.next = l.missed, 0, now.Add(logEvery)
	return true, missed
}

// noShard is the shard index of records made off any shard (the acceptor).
const noShard = -1

// attrs starts a record's attributes: "shard" if it has one.
func attrs(shard int, more ...slog.Attr) []slog.Attr {
	if shard == noShard {
		return more
	}
	return append([]slog.Attr{slog.Int("shard", shard)}, more...)
}

// logAcceptError writes the record of an accept burst on l that ended in
// err: "backing off" if off now keeps the socket out of the poller.
func (set *Set) logAcceptError(shard int, l *Listener, off *backoff, err error) {
	ok, missed := off.log.allow(time.Now())
	if !ok {
		return
	}
	msg := "accept failed"
	a := attrs(shard, slog.String("addr", l.addrString()), slog.Any("err", err))
	if !off.until.IsZero() {
		msg = "accept failed, backing off"
		a = append(a, slog.Duration("backoff", off.delay))
	}
	if missed > 0 {
		a = append(a, slog.Int("missed", missed))
	}
	set.log.LogAttrs(context.Background(), slog.LevelWarn, msg, a...)
}

// logPollError writes a rate-limited record of a poller failure.
func (set *Set) logPollError(shard int, lim *logLimit, err error) {
	ok, missed := lim.allow(time.Now())
	if !ok {
		return
	}
	a := attrs(shard, slog.Any("err", err))
	if missed > 0 {
		a = append(a, slog.Int("missed", missed))
	}
	set.log.LogAttrs(context.Background(), slog.LevelError, "poll failed", a...)
}

// logListener writes the record of a listening socket that a shard (or,
// with noShard, the acceptor) starts or stops serving.
func (set *Set) logListener(shard int, l *Listener, started bool) {
	msg := "listener stopped"
	if started {
		msg = "listener started"
	}
	set.log.LogAttrs(context.Background(), slog.LevelDebug, msg,
		attrs(shard, slog.String("addr", l.addrString()), slog.String("network", l.network))...)
}

// addrString returns the bound address, or "" for a listener without one
// (a dialled connection's).
func (l *Listener) addrString() string {
	if l.addr == nil {
		return ""
	}
	return l.addr.String()
}

// pprof labels of the set's goroutines, so a profile of a running server
// shows which shard burns.
const (
	labelShard    = "shoal.shard"    // a shard's loop: its index
	labelAcceptor = "shoal.acceptor" // the acceptor: the addresses it accepts on, comma-separated
)

// labelShardLoop labels the calling goroutine as shard index's loop.
func labelShardLoop(index int) {
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(labelShard, strconv.Itoa(index))))
}

// labelAcceptorLoop labels the calling goroutine as the acceptor of lis
// (nil entries are closed listeners).
func labelAcceptorLoop(lis []*Listener) {
	addrs := make([]string, 0, len(lis))
	for _, l := range lis {
		if l != nil {
			addrs = append(addrs, l.addrString())
		}
	}
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(labelAcceptor, strings.Join(addrs, ","))))
}
