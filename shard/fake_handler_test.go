package shard

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/codec"
)

// waitFor bounds every wait on a condition in this package's socket tests:
// generous, since nothing here measures time.
const waitFor = 20 * time.Second

// event is one Handler call the fake handler saw.
type event struct {
	kind  string // open, receive, deliver, closed, dead, spawned, recover
	shard int
	addr  uint64 // address of the slot's occupant at the call
	from  uint64
	msg   any // []byte and codec.Text copied: the frame is valid only during the call
	info  any
	err   error
}

// recorder collects events from shard goroutines for the test goroutine.
type recorder struct {
	mu      sync.Mutex
	events  []event
	changed chan struct{} // one pending signal: events grew
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) add(e event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// snapshot returns a copy of the events so far.
func (r *recorder) snapshot() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event(nil), r.events...)
}

// of returns the events of kind so far.
func (r *recorder) of(kind string) []event {
	var out []event
	for _, e := range r.snapshot() {
		if e.kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// wait blocks until ok holds for the events, or fails the test after waitFor.
// Test goroutine only.
func (r *recorder) wait(t testing.TB, what string, ok func([]event) bool) []event {
	t.Helper()
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	for {
		evs := r.snapshot()
		if ok(evs) {
			return evs
		}
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("waited %v for %s; events: %+v", waitFor, what, evs)
		}
	}
}

// waitCount waits until at least n events of kind were recorded and returns them.
func (r *recorder) waitCount(t testing.TB, kind string, n int) []event {
	t.Helper()
	var got []event
	r.wait(t, kind+" events", func(evs []event) bool {
		got = got[:0]
		for _, e := range evs {
			if e.kind == kind {
				got = append(got, e)
			}
		}
		return len(got) >= n
	})
	return got
}

// hooks are what a test's handler does besides recording. Set before the
// set starts, read-only after; they run on shard goroutines, so they
// must not fail the test: they record what they find instead.
type hooks struct {
	open    func(s *Shard, c *Conn, info any)
	receive func(s *Shard, c *Conn, from uint64, msg any)
	deliver func(s *Shard, c *Conn, from uint64, msg any)
	closed  func(s *Shard, c *Conn, err error)
}

// fakeHandler is a Handler that records every call and then runs its hooks.
type fakeHandler struct {
	s   *Shard
	rec *recorder // nil: record nothing (benchmarks)
	h   *hooks
}

func copyMsg(msg any) any {
	switch m := msg.(type) {
	case []byte:
		return append([]byte(nil), m...)
	case codec.Text:
		return codec.Text(append([]byte(nil), m...))
	}
	return msg
}

func (f *fakeHandler) record(e event) {
	if f.rec != nil {
		e.shard = f.s.Index()
		f.rec.add(e)
	}
}

func (f *fakeHandler) Open(c *Conn, info any) {
	f.record(event{kind: "open", addr: f.s.Addr(c), info: info})
	if f.h.open != nil {
		f.h.open(f.s, c, info)
	}
}

func (f *fakeHandler) Receive(c *Conn, from uint64, msg any) {
	if f.rec != nil { // a copy costs allocations the benchmarks must not count
		f.record(event{kind: "receive", addr: f.s.Addr(c), from: from, msg: copyMsg(msg)})
	}
	if f.h.receive != nil {
		f.h.receive(f.s, c, from, msg)
	}
}

func (f *fakeHandler) Deliver(c *Conn, from uint64, msg any) {
	if f.rec != nil {
		f.record(event{kind: "deliver", addr: f.s.Addr(c), from: from, msg: copyMsg(msg)})
	}
	if f.h.deliver != nil {
		f.h.deliver(f.s, c, from, msg)
	}
}

func (f *fakeHandler) Recover(r any) bool {
	f.record(event{kind: "recover", msg: r})
	return true
}

func (f *fakeHandler) Closed(c *Conn, err error) {
	f.record(event{kind: "closed", addr: f.s.Addr(c), err: err})
	if f.h.closed != nil {
		f.h.closed(f.s, c, err)
	}
}

func (f *fakeHandler) DeadLetter(to, from uint64, msg any) {
	f.record(event{kind: "dead", addr: to, from: from, msg: msg})
}

func (f *fakeHandler) Spawned(c *Conn, arg any) {
	e := event{kind: "spawned", msg: arg}
	if c != nil {
		e.addr = f.s.Addr(c)
	}
	f.record(e)
}

// newFakeSet makes a set of n shards served by fake handlers recording
// into rec (nil for none) and running h. The set is stopped when the test
// ends, if the test did not stop it.
func newFakeSet(t testing.TB, n int, rec *recorder, h *hooks) *Set {
	t.Helper()
	return newFakeSetWith(t, Config{Shards: n, SendWait: time.Second}, rec, h)
}

// newFakeSetWith is newFakeSet with more of the configuration: cfg's
// NewHandler is set to the fake handler's.
func newFakeSetWith(t testing.TB, cfg Config, rec *recorder, h *hooks) *Set {
	t.Helper()
	if h == nil {
		h = &hooks{}
	}
	cfg.NewHandler = func(s *Shard) Handler { return &fakeHandler{s: s, rec: rec, h: h} }
	set, err := NewSet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		_ = set.Stop(ctx) // ErrStopped if the test stopped it
	})
	return set
}

// listen binds a listener on loopback port 0.
func listen(t testing.TB, set *Set, network string, c codec.Codec, lim Limits) *Listener {
	t.Helper()
	l, err := set.Listen(network, "127.0.0.1:0", c, nil, lim)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func start(t testing.TB, set *Set) {
	t.Helper()
	if err := set.Start(); err != nil {
		t.Fatal(err)
	}
}

func stop(t testing.TB, set *Set) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := set.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// dial connects to l over TCP; the connection is closed when the test ends.
// Reads and writes on it fail after waitFor rather than hang.
func dial(t testing.TB, l *Listener) net.Conn {
	t.Helper()
	c, err := net.Dial(l.network, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(waitFor)); err != nil {
		t.Fatal(err)
	}
	return c
}

// lines returns a line codec with room for long lines.
func lines() codec.Codec { return codec.Bytes(codec.Line(codec.MaxFrame(1 << 20))) }
