//go:build linux

package reactor

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestReadWriteRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		open func(*testing.T) *pair
		msg  string
	}{
		{name: "tcp small", open: tcpLoopback, msg: "hello"},
		{name: "tcp 32KiB", open: tcpLoopback, msg: strings.Repeat("0123456789abcdef", 2048)},
		{name: "pipe", open: pipeWriteEnd, msg: "through a pipe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFds(t)
			pr := tc.open(t)
			writeAll(t, pr.fds[0], tc.msg)
			var got []byte
			buf := make([]byte, 4096)
			for len(got) < len(tc.msg) {
				n := readSome(t, pr.fds[1], buf)
				got = append(got, buf[:n]...)
			}
			mustEqual(t, tc.msg, string(got))
		})
	}
}

func TestReadWriteEdgeCases(t *testing.T) {
	checkFds(t)
	fds := socketPair(t)
	buf := make([]byte, 8)

	n, err := Read(fds[0], buf)
	if n != 0 || err != unix.EAGAIN {
		t.Fatalf("Read on empty socket = %d, %v; want 0, EAGAIN", n, err)
	}
	n, err = Read(fds[0], nil) // zero length: no nil pointer reaches the kernel
	if n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v; want 0, nil", n, err)
	}
	n, err = Write(fds[0], []byte{})
	if n != 0 || err != nil {
		t.Fatalf("Write(empty) = %d, %v; want 0, nil", n, err)
	}
	n, err = Read(-1, buf)
	if n != 0 || err != unix.EBADF {
		t.Fatalf("Read(-1) = %d, %v; want 0, EBADF", n, err)
	}
	n, err = Write(-1, buf)
	if n != 0 || err != unix.EBADF {
		t.Fatalf("Write(-1) = %d, %v; want 0, EBADF", n, err)
	}

	must(t, Shutdown(fds[1], unix.SHUT_WR))
	n, err = Read(fds[0], buf)
	if n != 0 || err != nil {
		t.Fatalf("Read at EOF = %d, %v; want 0, nil", n, err)
	}
}

func TestWriteFullSocketIsEAGAIN(t *testing.T) {
	checkFds(t)
	fds := socketPair(t)
	chunk := make([]byte, 64<<10)
	for range 1 << 12 {
		if _, err := Write(fds[0], chunk); err != nil {
			mustIs(t, err, unix.EAGAIN)
			return
		}
	}
	t.Fatal("send buffer never filled")
}

func TestWritevSendsSeveralBuffersInOneCall(t *testing.T) {
	checkFds(t)
	fds := socketPair(t)
	bufs := [][]byte{[]byte("ab"), nil, []byte("cde"), {}, []byte("f")}
	n, err := Writev(fds[0], bufs)
	must(t, err)
	mustEqual(t, 6, n)
	got := make([]byte, 16)
	n = readSome(t, fds[1], got)
	mustEqual(t, "abcdef", string(got[:n]))
}

func TestWritevBatching(t *testing.T) {
	many := make([][]byte, 40)
	for i := range many {
		many[i] = []byte{byte('A' + i)}
	}
	tests := []struct {
		name    string
		bufs    [][]byte
		scratch int // 0: Writev's stack array
		want    int
	}{
		{name: "no buffers", bufs: nil, want: 0},
		{name: "only empty buffers", bufs: [][]byte{{}, nil}, want: 0},
		{name: "stack batch caps at IovecBatch", bufs: many, want: IovecBatch},
		{name: "scratch takes all", bufs: many, scratch: 64, want: 40},
		{name: "scratch caps at its length", bufs: many, scratch: 5, want: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFds(t)
			fds := socketPair(t)
			var n int
			var err error
			if tc.scratch == 0 {
				n, err = Writev(fds[0], tc.bufs)
			} else {
				n, err = WritevScratch(fds[0], tc.bufs, make([]unix.Iovec, tc.scratch))
			}
			must(t, err)
			mustEqual(t, tc.want, n)
			if n > 0 {
				got := make([]byte, 64)
				m := readSome(t, fds[1], got)
				mustEqual(t, string(bytes.Join(tc.bufs, nil)[:n]), string(got[:m]))
			}
		})
	}
}

func TestWritevError(t *testing.T) {
	n, err := Writev(-1, [][]byte{[]byte("x")})
	if n != 0 || err != unix.EBADF {
		t.Fatalf("Writev(-1) = %d, %v; want 0, EBADF", n, err)
	}
}

func TestReadvScattersIntoBuffers(t *testing.T) {
	checkFds(t)
	fds := socketPair(t)
	writeAll(t, fds[1], "abcdefg")
	a, b := make([]byte, 3), make([]byte, 10)
	var n int
	var err error
	n, err = Readv(fds[0], [][]byte{a, nil, b})
	must(t, err)
	mustEqual(t, 7, n)
	mustEqual(t, "abc", string(a))
	mustEqual(t, "defg", string(b[:4]))

	n, err = Readv(fds[0], [][]byte{a})
	if n != 0 || err != unix.EAGAIN {
		t.Fatalf("Readv on empty socket = %d, %v; want 0, EAGAIN", n, err)
	}
	n, err = Readv(fds[0], nil)
	if n != 0 || err != nil {
		t.Fatalf("Readv(nil) = %d, %v; want 0, nil", n, err)
	}
}

// The hot path must not allocate. The race detector's bookkeeping is not
// counted as an allocation, but skip there anyway: it is not the build we
// measure.
func TestHotPathDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are measured without -race")
	}
	checkFds(t)
	fds := socketPair(t)
	p := newPoller(t)
	w := newWaker(t)
	must(t, p.AddWaker(w, 1))
	must(t, p.Add(fds[1], 2, Readable))
	msg := []byte("ping")
	bufs := [][]byte{msg, msg, msg}
	buf := make([]byte, 64)
	ready := make([]Ready, 8)
	_, _ = p.Wait(ready, 0) // grow the event buffer first
	tests := []struct {
		name string
		op   func()
	}{
		{"Write+Read", func() { Write(fds[0], msg); Read(fds[1], buf) }},
		{"Read EAGAIN", func() { Read(fds[1], buf) }},
		{"Writev+Read", func() { Writev(fds[0], bufs); Read(fds[1], buf) }},
		{"Readv", func() { Write(fds[0], msg); Readv(fds[1], bufs[:2]) }},
		{"Wake+Wait0", func() { w.Wake(); p.Wait(ready, 0) }},
		{"Wait timeout", func() { p.Wait(ready, 1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if a := testing.AllocsPerRun(100, tc.op); a != 0 {
				t.Fatalf("%v allocs per op, want 0", a)
			}
		})
	}
}
