//go:build linux

package reactor

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Key:
//
//	Raw  = this package's raw-syscall calls (no entersyscall/exitsyscall)
//	XSys = the baseline: golang.org/x/sys/unix's calls (syscall.Syscall,
//	       with the runtime's entersyscall/exitsyscall), same run, same fds
//	B16, B512 = message size in bytes
//
// One op = one message: written on one end of a nonblocking unix socketpair
// and read back on the other (RoundTrip), or one gathered write of three
// buffers plus its read (Writev), or one zero-timeout poll (Wait0).

type ioImpl struct {
	name   string
	read   func(int, []byte) (int, error)
	write  func(int, []byte) (int, error)
	writev func(int, [][]byte) (int, error)
}

var ioImpls = []ioImpl{
	{name: "Raw", read: Read, write: Write, writev: Writev},
	{name: "XSys", read: unix.Read, write: unix.Write, writev: unix.Writev},
}

func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{16, 512} {
		for _, im := range ioImpls {
			b.Run(fmt.Sprintf("%s/B%d", im.name, size), func(b *testing.B) {
				fds := socketPair(b)
				msg := make([]byte, size)
				buf := make([]byte, size)
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					if n, err := im.write(fds[0], msg); n != size || err != nil {
						b.Fatalf("write = %d, %v", n, err)
					}
					if n, err := im.read(fds[1], buf); n != size || err != nil {
						b.Fatalf("read = %d, %v", n, err)
					}
				}
			})
		}
	}
}

func BenchmarkWritev(b *testing.B) {
	for _, im := range ioImpls {
		b.Run(im.name+"/B3x16", func(b *testing.B) {
			fds := socketPair(b)
			part := make([]byte, 16)
			bufs := [][]byte{part, part, part}
			buf := make([]byte, 64)
			b.ReportAllocs()
			for b.Loop() {
				if n, err := im.writev(fds[0], bufs); n != 48 || err != nil {
					b.Fatalf("writev = %d, %v", n, err)
				}
				if n, err := im.read(fds[1], buf); n != 48 || err != nil {
					b.Fatalf("read = %d, %v", n, err)
				}
			}
		})
	}
}

func BenchmarkWait0(b *testing.B) {
	setup := func(b *testing.B) *Poller {
		p, err := NewPoller()
		must(b, err)
		b.Cleanup(func() { p.Close() })
		fds := socketPair(b)
		must(b, p.Add(fds[0], 1, Writable)) // always ready: one event per poll
		return p
	}
	b.Run("Raw", func(b *testing.B) {
		p := setup(b)
		ready := make([]Ready, 8)
		b.ReportAllocs()
		for b.Loop() {
			if n, err := p.Wait(ready, 0); n != 1 || err != nil {
				b.Fatalf("Wait = %d, %v", n, err)
			}
		}
	})
	b.Run("XSys", func(b *testing.B) {
		p := setup(b)
		evs := make([]unix.EpollEvent, 8)
		b.ReportAllocs()
		for b.Loop() {
			if n, err := unix.EpollWait(p.fd, evs, 0); n != 1 || err != nil {
				b.Fatalf("EpollWait = %d, %v", n, err)
			}
		}
	})
}

// BenchmarkPairedRoundTrip measures Raw and XSys in alternating blocks of
// pairedBlock messages within one benchmark, so that the machine's drift
// (frequency, noisy neighbours) hits both alike. One op = one message through
// each implementation; it reports raw-ns/msg, xsys-ns/msg and raw/xsys.
func BenchmarkPairedRoundTrip(b *testing.B) {
	const pairedBlock = 256
	for _, size := range []int{16, 512} {
		b.Run(fmt.Sprintf("B%d", size), func(b *testing.B) {
			fds := socketPair(b)
			msg := make([]byte, size)
			buf := make([]byte, size)
			var spent [2]time.Duration
			var msgs [2]int
			b.ReportAllocs()
			round := 0
			for b.Loop() {
				// Alternate which implementation goes first in each pair of blocks.
				for k := range 2 {
					i := (k + round) & 1
					im := ioImpls[i]
					start := time.Now()
					for range pairedBlock {
						if n, err := im.write(fds[0], msg); n != size || err != nil {
							b.Fatalf("write = %d, %v", n, err)
						}
						if n, err := im.read(fds[1], buf); n != size || err != nil {
							b.Fatalf("read = %d, %v", n, err)
						}
					}
					spent[i] += time.Since(start)
					msgs[i] += pairedBlock
				}
				round++
			}
			raw := float64(spent[0].Nanoseconds()) / float64(msgs[0])
			xsys := float64(spent[1].Nanoseconds()) / float64(msgs[1])
			b.ReportMetric(raw, "raw-ns/msg")
			b.ReportMetric(xsys, "xsys-ns/msg")
			b.ReportMetric(raw/xsys, "raw/xsys")
			b.ReportMetric(0, "ns/op") // one op is 2×pairedBlock messages: hide the misleading figure
		})
	}
}
