package codec

import (
	"bytes"
	"testing"
)

// Benchmarks. One op = one message.
//
//	Next/<framer>/P<n>    decode one frame of an n-byte payload from a buffer
//	                      holding exactly that frame
//	Append/<framer>/P<n>  frame one n-byte payload into a reused dst
//	Baseline/IndexByte    the least a delimiter decoder does: find '\n'
//	Baseline/Copy         the least an encoder does: copy the payload
//	Marshal/...           BytesCodec on top of LengthField(4)
//
// SetBytes is the payload size, so MB/s compares across framers.

var benchSizes = []struct {
	name string
	n    int
}{{"P64", 64}, {"P4K", 4096}}

var benchFramers = []struct {
	name string
	make func(payload int) Framer
}{
	{"Line", func(int) Framer { return Line() }},
	{"Delimiter1", func(int) Framer { return Delimiter([]byte{0}) }},
	{"Delimiter4", func(int) Framer { return Delimiter([]byte("\r\n\r\n")) }},
	{"Fixed", func(n int) Framer { return Fixed(n) }},
	{"LengthField4", func(int) Framer { return LengthField(4) }},
	{"LengthField8LE", func(int) Framer { return LengthField(8, LittleEndian(), LengthOffset(2), Strip(0)) }},
	{"Raw", func(int) Framer { return Raw() }},
}

func benchPayload(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }

func BenchmarkNext(b *testing.B) {
	for _, fr := range benchFramers {
		for _, sz := range benchSizes {
			b.Run(fr.name+"/"+sz.name, func(b *testing.B) {
				f := fr.make(sz.n)
				in, err := f.Append(nil, benchPayload(sz.n))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(sz.n))
				for b.Loop() {
					if _, n, err := f.Next(in); n != len(in) || err != nil {
						b.Fatal(n, err)
					}
				}
			})
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, fr := range benchFramers {
		for _, sz := range benchSizes {
			b.Run(fr.name+"/"+sz.name, func(b *testing.B) {
				f := fr.make(sz.n)
				p := benchPayload(sz.n)
				dst := make([]byte, 0, 2*sz.n+64)
				b.ReportAllocs()
				b.SetBytes(int64(sz.n))
				for b.Loop() {
					var err error
					if dst, err = f.Append(dst[:0], p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkBaseline(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run("IndexByte/"+sz.name, func(b *testing.B) {
			in := append(benchPayload(sz.n), '\n')
			b.ReportAllocs()
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				if bytes.IndexByte(in, '\n') != sz.n {
					b.Fatal("lost the newline")
				}
			}
		})
		b.Run("Copy/"+sz.name, func(b *testing.B) {
			p := benchPayload(sz.n)
			dst := make([]byte, 0, sz.n)
			b.ReportAllocs()
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				dst = append(dst[:0], p...)
			}
		})
	}
}

func BenchmarkMarshal(b *testing.B) {
	c := Bytes(LengthField(4))
	for _, sz := range benchSizes {
		p := benchPayload(sz.n)
		for _, m := range []struct {
			name string
			msg  any
		}{{"Bytes", p}, {"String", string(p)}} {
			b.Run(m.name+"/"+sz.name, func(b *testing.B) {
				dst := make([]byte, 0, sz.n+8)
				b.ReportAllocs()
				b.SetBytes(int64(sz.n))
				for b.Loop() {
					var err error
					if dst, err = c.Marshal(dst[:0], m.msg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestZeroAlloc pins the allocation-free paths the benchmarks measure.
func TestZeroAlloc(t *testing.T) {
	for _, fr := range benchFramers {
		t.Run(fr.name, func(t *testing.T) {
			f := fr.make(64)
			p := benchPayload(64)
			in, err := f.Append(nil, p)
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]byte, 0, 256)
			if a := testing.AllocsPerRun(100, func() { _, _, _ = f.Next(in) }); a != 0 {
				t.Errorf("Next: %v allocs", a)
			}
			if a := testing.AllocsPerRun(100, func() { dst, _ = f.Append(dst[:0], p) }); a != 0 {
				t.Errorf("Append: %v allocs", a)
			}
			if a := testing.AllocsPerRun(100, func() { _, _, _ = f.Next(in[:len(in)-1]) }); a != 0 && fr.name != "Raw" {
				t.Errorf("Next needing more: %v allocs", a)
			}
		})
	}
	c := Bytes(Line())
	var msg any = "hello"
	dst := make([]byte, 0, 64)
	if a := testing.AllocsPerRun(100, func() { dst, _ = c.Marshal(dst[:0], msg) }); a != 0 {
		t.Errorf("Marshal(string): %v allocs", a)
	}
}
