package shard

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
)

// Past Limits.HighWater each policy does what it says to a peer that reads
// nothing: Drop tells the occupant (Deliver of Pressure{High: true}) and
// refuses further writes with ErrBackpressure; Disconnect fails the write
// with ErrSlowConsumer; Keep tells the occupant and keeps writes until
// MaxBuffered, past which the write fails with ErrSlowConsumer. A
// disconnected peer reads ECONNRESET and Closed gets ErrSlowConsumer once.
func TestBackpressurePolicies(t *testing.T) {
	const (
		highWater = 64 << 10
		chunk     = 16 << 10
	)
	for _, tc := range []struct {
		name      string
		policy    WritePolicy
		writeErr  error // the first error the Receive's writes meet
		pressure  bool  // the occupant is told Pressure{High: true}
		reset     bool  // the connection is reset with ErrSlowConsumer
		moreWrite bool  // the occupant writes on when told of the pressure
	}{
		{name: "drop", policy: DropWrites, writeErr: ErrBackpressure, pressure: true},
		{name: "disconnect", policy: Disconnect, writeErr: ErrSlowConsumer, reset: true},
		{name: "keep", policy: KeepWrites, pressure: true, reset: true, moreWrite: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			payload := []byte(strings.Repeat("p", chunk-1))
			// writeUntil writes chunks until one fails or limit were
			// written, and records the outcome.
			writeUntil := func(s *Shard, c *Conn, limit int) {
				for i := 0; i < limit; i++ {
					if err := s.WriteFrame(c, payload); err != nil {
						rec.add(event{kind: "write-error", err: err, msg: i})
						return
					}
				}
				rec.add(event{kind: "writes-ok", msg: limit})
			}
			set := newFakeSet(t, 1, rec, &hooks{
				receive: func(s *Shard, c *Conn, _ uint64, _ any) {
					// Keep: just past the mark, so Pressure is queued and
					// the connection stays open; the rest: until refused.
					limit := 1000
					if tc.moreWrite {
						limit = highWater/chunk + 1
					}
					writeUntil(s, c, limit)
				},
				deliver: func(s *Shard, c *Conn, _ uint64, msg any) {
					if p, ok := msg.(Pressure); ok && p.High && tc.moreWrite {
						writeUntil(s, c, 1000)
					}
				},
			})
			l := listen(t, set, "tcp", lines(), Limits{HighWater: highWater, Policy: tc.policy})
			start(t, set)
			nc := dial(t, l)
			if _, err := io.WriteString(nc, "flood\n"); err != nil {
				t.Fatal(err)
			}

			if tc.pressure {
				rec.wait(t, "Pressure{High: true}", func(evs []event) bool {
					for _, e := range evs {
						if p, ok := e.msg.(Pressure); ok && e.kind == "deliver" && p.High {
							return p.Buffered > highWater
						}
					}
					return false
				})
			}
			if tc.writeErr != nil || tc.moreWrite {
				want := tc.writeErr
				if want == nil {
					want = ErrSlowConsumer
				}
				errs := rec.waitCount(t, "write-error", 1)
				if !errors.Is(errs[0].err, want) {
					t.Fatalf("write error %v, want %v", errs[0].err, want)
				}
			}
			if !tc.reset {
				if rec.of("closed") != nil {
					t.Fatalf("closed under %s: %+v", tc.name, rec.of("closed"))
				}
				return
			}
			// The peer sees the reset, not a clean end.
			buf := make([]byte, 64<<10)
			var err error
			for err == nil {
				_, err = nc.Read(buf)
			}
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("peer read %v, want ECONNRESET", err)
			}
			closed := rec.waitCount(t, "closed", 1)
			if !errors.Is(closed[0].err, ErrSlowConsumer) {
				t.Fatalf("Closed with %v, want ErrSlowConsumer", closed[0].err)
			}
			stop(t, set)
			if n := len(rec.of("closed")); n != 1 {
				t.Fatalf("Closed called %d times", n)
			}
			for _, e := range rec.of("deliver") {
				if _, ok := e.msg.(Pressure); ok && tc.policy == Disconnect {
					t.Fatalf("Disconnect delivered %+v", e.msg)
				}
			}
		})
	}
}

// Under DropWrites the occupant is told when its peer has drained the
// connection below half the mark (Pressure{High: false}), and writes are
// taken again.
func TestBackpressureDropRecovers(t *testing.T) {
	const highWater = 64 << 10
	rec := newRecorder()
	payload := []byte(strings.Repeat("d", 16<<10-1))
	set := newFakeSet(t, 1, rec, &hooks{
		receive: func(s *Shard, c *Conn, _ uint64, msg any) {
			if string(msg.([]byte)) == "again" {
				rec.add(event{kind: "again", err: s.WriteFrame(c, []byte("ok"))})
				return
			}
			n := 0
			for s.WriteFrame(c, payload) == nil {
				n++
			}
			rec.add(event{kind: "written", msg: n})
		},
	})
	l := listen(t, set, "tcp", lines(), Limits{HighWater: highWater, Policy: DropWrites})
	start(t, set)
	nc := dial(t, l)
	if _, err := io.WriteString(nc, "flood\n"); err != nil {
		t.Fatal(err)
	}
	n := rec.waitCount(t, "written", 1)[0].msg.(int)
	if st := set.Shards()[0].Stats(); st.WritesDropped != 1 || st.InboxFull != 0 {
		t.Fatalf("after one dropped write: WritesDropped %d, InboxFull %d; want 1, 0", st.WritesDropped, st.InboxFull)
	}
	if _, err := io.ReadFull(nc, make([]byte, n*len(payload)+n)); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "Pressure{High: false}", func(evs []event) bool {
		for _, e := range evs {
			if p, ok := e.msg.(Pressure); ok && e.kind == "deliver" && !p.High {
				return true
			}
		}
		return false
	})
	if _, err := io.WriteString(nc, "again\n"); err != nil {
		t.Fatal(err)
	}
	if err := rec.waitCount(t, "again", 1)[0].err; err != nil {
		t.Fatalf("write after draining: %v", err)
	}
	buf := make([]byte, 3)
	if _, err := io.ReadFull(nc, buf); err != nil || string(buf) != "ok\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
}
