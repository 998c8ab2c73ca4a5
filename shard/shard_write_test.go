package shard

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

// Frames written with WriteFrame during one Receive reach the peer whole and
// in order, however many a turn queues: a few fit one write, a megabyte
// overflows the socket and is finished from writability.
func TestWriteFrameInOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames int
		size   int // payload bytes per frame, before the frame number
	}{
		{name: "few", frames: 3, size: 8},
		{name: "many", frames: 10000, size: 100},
		{name: "large", frames: 64, size: 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			set := newFakeSet(t, 1, rec, &hooks{
				receive: func(s *Shard, c *Conn, _ uint64, msg any) {
					pad := strings.Repeat("x", tc.size)
					for i := 0; i < tc.frames; i++ {
						if err := s.WriteFrame(c, []byte(strconv.Itoa(i)+" "+pad)); err != nil {
							rec.add(event{kind: "error", err: err})
							return
						}
					}
				},
			})
			l := listen(t, set, "tcp", lines(), Limits{})
			start(t, set)
			nc := dial(t, l)
			if _, err := io.WriteString(nc, "go\n"); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReaderSize(nc, 128<<10)
			want := " " + strings.Repeat("x", tc.size)
			for i := 0; i < tc.frames; i++ {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("frame %d: %v (events %+v)", i, err, rec.of("error"))
				}
				if got := strings.TrimSuffix(line, "\n"); got != strconv.Itoa(i)+want {
					t.Fatalf("frame %d: got %d bytes starting %.20q", i, len(got), got)
				}
			}
			if errs := rec.of("error"); len(errs) > 0 {
				t.Fatalf("WriteFrame failed: %v", errs[0].err)
			}
		})
	}
}

// A write to another connection during a Receive goes out too (at the end
// of the turn), after the bytes queued before it, for each target.
func TestWriteFrameToOtherConnection(t *testing.T) {
	rec := newRecorder()
	var first *Conn // shard goroutine only
	set := newFakeSet(t, 1, rec, &hooks{
		open: func(s *Shard, c *Conn, _ any) {
			if first == nil {
				first = c
			}
		},
		receive: func(s *Shard, c *Conn, _ uint64, msg any) {
			for i := 0; i < 100; i++ {
				if err := s.WriteFrame(first, fmt.Appendf(nil, "%s %d", msg, i)); err != nil {
					rec.add(event{kind: "error", err: err})
				}
			}
		},
	})
	l := listen(t, set, "tcp", lines(), Limits{})
	start(t, set)
	a := dial(t, l)
	rec.waitCount(t, "open", 1)
	b := dial(t, l)
	rec.waitCount(t, "open", 2)
	if _, err := io.WriteString(b, "from-b\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(a)
	for i := 0; i < 100; i++ {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if want := fmt.Sprintf("from-b %d\n", i); line != want {
			t.Fatalf("line %d: got %q, want %q", i, line, want)
		}
	}
	if errs := rec.of("error"); len(errs) > 0 {
		t.Fatalf("WriteFrame failed: %v", errs[0].err)
	}
}
