package websocket

import (
	"math/rand/v2"
	"testing"

	"github.com/shoalrt/shoal/codec"
)

// Fuzz targets: arbitrary input never makes a stream panic, break the
// codec.Stream contract (n within in; nothing after EventClose) or hold a
// buffer larger than its limits allow. Seeds are in testdata/fuzz.

// fuzzOptions are small limits, so the fuzzer reaches them.
var fuzzOptions = Options{MaxMessage: 4096, MaxHeaderBytes: 1024, Compression: true, CompressThreshold: 1}

// maxFuzzBuf bounds any buffer a stream holds under fuzzOptions: a message
// of at most MaxMessage bytes lives in a pooled buffer of the class above.
const maxFuzzBuf = 16 << 10

// cutsFrom returns random cut points of an n-byte input, chosen by seed.
func cutsFrom(n int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, seed>>32))
	var cuts []int
	for at := r.IntN(64) + 1; at < n; at += r.IntN(64) + 1 {
		cuts = append(cuts, at)
	}
	return cuts
}

// check feeds data to st in the cuts given and checks the contract.
func check(t *testing.T, st codec.Stream, data []byte, cuts []int) {
	s := st.(*stream)
	var buf []byte
	pos := 0
	for _, cut := range append(cuts, len(data)) {
		buf = append(buf, data[pos:cut]...)
		pos = cut
		for {
			ev, n := st.Next(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("n = %d of %d bytes", n, len(buf))
			}
			if s.buf != nil && cap(*s.buf) > maxFuzzBuf || s.held != nil && cap(*s.held) > maxFuzzBuf {
				t.Fatalf("stream holds a buffer over %d bytes", maxFuzzBuf)
			}
			if ev.Kind == codec.EventMessage && len(ev.Frame) > fuzzOptions.MaxMessage {
				t.Fatalf("message of %d bytes over MaxMessage", len(ev.Frame))
			}
			buf = buf[n:]
			if ev.Kind == codec.EventClose {
				if ev.Err == nil && s.state != stClosed {
					t.Fatal("EventClose left the stream open")
				}
				st.Release()
				return
			}
			if ev.Kind == codec.EventNone && n == 0 {
				break
			}
		}
	}
	_ = st.Goodbye(nil, nil)
	st.Release()
}

func FuzzServerStream(f *testing.F) {
	f.Add([]byte(upgradeReq("/")+string(cf(0x81, "hi"))), uint64(1))
	c := Raw(fuzzOptions)
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		check(t, c.NewStream(false, ""), data, cutsFrom(len(data), seed))
	})
}

func FuzzFrames(f *testing.F) {
	f.Add(join(cf(0x01, "a"), cf(0x89, "p"), cf(0x80, "b")), uint64(2))
	c := Raw(fuzzOptions)
	prefix := []byte(upgradeReq("/", "Sec-WebSocket-Extensions: permessage-deflate"))
	f.Fuzz(func(t *testing.T, frames []byte, seed uint64) {
		data := append(append([]byte(nil), prefix...), frames...)
		check(t, c.NewStream(false, ""), data, cutsFrom(len(data), seed))
	})
}

func FuzzClientHandshake(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
		sampleAccept+"\r\n\r\n"+string(sf(0x81, "hi"))), uint64(3))
	c := Raw(Options{MaxMessage: 4096, MaxHeaderBytes: 1024, Compression: true, Protocols: []string{"chat"}})
	f.Fuzz(func(t *testing.T, resp []byte, seed uint64) {
		st := c.NewStream(true, "ws://example.com/")
		st.(*stream).cl.key = "dGhlIHNhbXBsZSBub25jZQ==" // so a seed's accept matches
		st.Hello(nil)
		check(t, st, resp, cutsFrom(len(resp), seed))
	})
}
