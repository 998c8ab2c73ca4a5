package websocket

// Benchmarks: one op = one message. Each matrix runs this package beside
// github.com/gobwas/ws, the low-level Go WebSocket library, in the same run.
//
//	Parse/<size>/{shoal,gobwas}  decode one masked client frame: shoal copies
//	    the frame into the inbound buffer and calls Next (unmask in place,
//	    UTF-8 not involved: binary); gobwas reads the header from a
//	    bytes.Reader (ws.ReadHeader), reads the payload, unmasks (ws.Cipher).
//	Build/<side>/<size>/{shoal,gobwas}  frame one payload: shoal
//	    AppendMessage into a reused buffer; gobwas ws.WriteHeader into a
//	    bytes.Buffer plus a copy of the payload (masked with ws.Cipher on a
//	    client).
//	Compressed/{build,parse}/4KiB/{shoal,gobwas}  permessage-deflate, no
//	    context takeover: shoal's pooled klauspost flate; gobwas's wsflate
//	    helpers (standard library flate) as the baseline.

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/shoalrt/shoal/codec"
)

var benchSizes = []struct {
	name string
	n    int
}{{"64B", 64}, {"4KiB", 4096}}

func benchPayload(n int) []byte {
	return []byte(strings.Repeat("{\"type\":\"Say\",\"data\":{\"Text\":\"hello world\"}} ", n/44+1)[:n])
}

func BenchmarkParse(b *testing.B) {
	for _, sz := range benchSizes {
		wire := frame(0x82, true, benchPayload(sz.n))
		b.Run(sz.name+"/shoal", func(b *testing.B) {
			st := openServer(b, Raw(Options{}))
			buf := make([]byte, len(wire))
			b.ReportAllocs()
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				copy(buf, wire)
				ev, n := st.Next(buf)
				if ev.Kind != codec.EventMessage || n != len(buf) {
					b.Fatal(ev.Kind, n)
				}
			}
		})
		b.Run(sz.name+"/gobwas", func(b *testing.B) {
			r := bytes.NewReader(wire)
			buf := make([]byte, sz.n)
			b.ReportAllocs()
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				r.Reset(wire)
				h, err := ws.ReadHeader(r)
				if err != nil {
					b.Fatal(err)
				}
				p := buf[:h.Length]
				if _, err := io.ReadFull(r, p); err != nil {
					b.Fatal(err)
				}
				ws.Cipher(p, h.Mask, 0)
			}
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	for _, side := range []string{"server", "client"} {
		for _, sz := range benchSizes {
			payload := benchPayload(sz.n)
			var msg any = payload
			b.Run(side+"/"+sz.name+"/shoal", func(b *testing.B) {
				st := openServer(b, Raw(Options{}))
				if side == "client" {
					_, st = pair(b, Raw(Options{}), Raw(Options{}))
				}
				dst := make([]byte, 0, sz.n+maxHeaderLen)
				b.ReportAllocs()
				b.SetBytes(int64(sz.n))
				for b.Loop() {
					dst, _ = st.AppendMessage(dst[:0], payload, msg)
				}
			})
			b.Run(side+"/"+sz.name+"/gobwas", func(b *testing.B) {
				var buf bytes.Buffer
				buf.Grow(sz.n + maxHeaderLen)
				h := ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(sz.n)}
				b.ReportAllocs()
				b.SetBytes(int64(sz.n))
				for b.Loop() {
					buf.Reset()
					if side == "client" {
						h.Masked, h.Mask = true, ws.NewMask()
					}
					if err := ws.WriteHeader(&buf, h); err != nil {
						b.Fatal(err)
					}
					start := buf.Len()
					buf.Write(payload)
					if h.Masked {
						ws.Cipher(buf.Bytes()[start:], h.Mask, 0)
					}
				}
			})
		}
	}
}

func BenchmarkCompressed(b *testing.B) {
	payload := benchPayload(4096)
	var msg any = payload
	b.Run("build/4KiB/shoal", func(b *testing.B) {
		st := deflateServer(b, Options{})
		dst := make([]byte, 0, 8192)
		b.ReportAllocs()
		b.SetBytes(4096)
		for b.Loop() {
			dst, _ = st.AppendMessage(dst[:0], payload, msg)
		}
	})
	b.Run("build/4KiB/gobwas", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		b.SetBytes(4096)
		for b.Loop() {
			buf.Reset()
			f, err := wsflate.CompressFrame(ws.NewBinaryFrame(payload))
			if err != nil {
				b.Fatal(err)
			}
			if err := ws.WriteFrame(&buf, f); err != nil {
				b.Fatal(err)
			}
		}
	})
	wire := frame(0xc2, true, deflated(b, string(payload)))
	b.Run("parse/4KiB/shoal", func(b *testing.B) {
		st := deflateServer(b, Options{})
		buf := make([]byte, len(wire))
		b.ReportAllocs()
		b.SetBytes(4096)
		for b.Loop() {
			copy(buf, wire)
			ev, n := st.Next(buf)
			if ev.Kind != codec.EventMessage || n != len(buf) || len(ev.Frame) != 4096 {
				b.Fatal(ev.Kind, n, ev.Err)
			}
		}
	})
	b.Run("parse/4KiB/gobwas", func(b *testing.B) {
		r := bytes.NewReader(wire)
		b.ReportAllocs()
		b.SetBytes(4096)
		for b.Loop() {
			r.Reset(wire)
			f, err := ws.ReadFrame(r)
			if err != nil {
				b.Fatal(err)
			}
			ws.Cipher(f.Payload, f.Header.Mask, 0)
			f.Header.Masked = false
			if f, err = wsflate.DecompressFrame(f); err != nil || len(f.Payload) != 4096 {
				b.Fatal(err)
			}
		}
	})
}
