package codec

import (
	"bytes"
	"errors"
	"testing"
)

// Fuzz targets. Each checks, on arbitrary input, that Next never panics,
// returns frames inside the bytes it used and n <= len(in) (step), that the
// frames do not depend on how the input was split into reads, and that
// Append→Next round-trips arbitrary payloads. Seeds, malicious ones
// included, are in testdata/fuzz/<target>.

// fuzzDecode feeds data whole, split in two at split, and (if short) one
// byte at a time with NextFrom, and checks all give the same frames and
// fail alike.
func fuzzDecode(t *testing.T, f Framer, data []byte, split int) {
	frames, _, err := feed(t, f, false, data)
	check := func(how string, got [][]byte, gotErr error) {
		if !equalFrames(got, frames) || (gotErr == nil) != (err == nil) ||
			errors.Is(gotErr, ErrFrameTooLarge) != errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("%s: %d frames, %v; fed whole: %d frames, %v", how, len(got), gotErr, len(frames), err)
		}
	}
	if err != nil && !errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrBadLength) {
		t.Fatalf("unexpected error kind: %v", err)
	}
	k := split % (len(data) + 1)
	got, _, gotErr := feed(t, f, false, data[:k], data[k:])
	check("split", got, gotErr)
	if len(data) <= 512 {
		chunks := make([][]byte, len(data))
		for i := range data {
			chunks[i] = data[i : i+1]
		}
		got, _, gotErr = feed(t, f, true, chunks...)
		check("byte by byte", got, gotErr)
	}
}

// fuzzRoundTrip appends payload, a prefix of it and an empty payload,
// skipping those Append refuses (checking it left dst alone and that a
// refusal for size is right), then checks Next returns them in order.
// same compares a decoded frame with the payload given to Append.
func fuzzRoundTrip(t *testing.T, f Framer, limit int, payload []byte, same func(frame, payload []byte) bool) {
	var buf []byte
	var want [][]byte
	for _, p := range [][]byte{payload, payload[:len(payload)/2], nil} {
		before := len(buf)
		out, err := f.Append(buf, p)
		if err != nil {
			if len(out) != before {
				t.Fatalf("Append failed (%v) but changed dst", err)
			}
			if errors.Is(err, ErrFrameTooLarge) != (len(p) > limit) {
				t.Fatalf("Append(%d bytes), limit %d: %v", len(p), limit, err)
			}
			continue
		}
		buf, want = out, append(want, p)
	}
	frames, rest, err := feed(t, f, false, buf)
	if err != nil || rest != 0 || len(frames) != len(want) {
		t.Fatalf("round trip: %d frames, rest %d, %v; want %d frames", len(frames), rest, err, len(want))
	}
	for i := range frames {
		if !same(frames[i], want[i]) {
			t.Fatalf("round trip frame %d: %q, want %q", i, frames[i], want[i])
		}
	}
}

// fuzzMax maps a fuzzed number to a small MaxFrame, or 0 for the default.
func fuzzMax(m uint16) []Option {
	if m == 0 {
		return nil
	}
	return []Option{MaxFrame(int(m%300) + 1)}
}

func FuzzLine(f *testing.F) {
	f.Add([]byte("hello\r\nworld\n"), []byte("payload"), uint16(0), uint16(3))
	f.Fuzz(func(t *testing.T, data, payload []byte, max, split uint16) {
		fr := Line(fuzzMax(max)...)
		fuzzDecode(t, fr, data, int(split))
		fuzzRoundTrip(t, fr, fr.(lineFramer).max, payload, bytes.Equal)
	})
}

func FuzzDelimiter(f *testing.F) {
	f.Add([]byte("a\r\n\r\nbc\r\n\r\n"), []byte("\r\n\r\n"), []byte("payload"), uint16(0), uint16(5))
	f.Fuzz(func(t *testing.T, data, delim, payload []byte, max, split uint16) {
		fr, err := NewDelimiter(delim, fuzzMax(max)...)
		if len(delim) == 0 {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("empty delimiter: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fuzzDecode(t, fr, data, int(split))
		fuzzRoundTrip(t, fr, fr.(delimFramer).max, payload, bytes.Equal)
	})
}

// lengthConfigs are the layouts FuzzLengthField picks from.
var lengthConfigs = []struct {
	size int
	opts []Option
}{
	{size: 4},
	{size: 1},
	{size: 2, opts: []Option{LittleEndian(), MaxFrame(100)}},
	{size: 8},
	{size: 8, opts: []Option{LittleEndian(), MaxFrame(1 << 40)}},
	{size: 2, opts: []Option{LengthOffset(2), LengthAdjust(-4), Strip(0)}},
	{size: 4, opts: []Option{LengthOffset(1), LengthAdjust(1), Strip(3)}},
	{size: 2, opts: []Option{LengthAdjust(3), Strip(5), MaxFrame(64)}},
	{size: 1, opts: []Option{LengthOffset(3), Strip(1), LengthAdjust(-2)}},
}

func FuzzLengthField(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x02hi\x00\x00\x00\x00"), []byte("payload"), uint8(0), uint16(2))
	f.Fuzz(func(t *testing.T, data, payload []byte, cfg uint8, split uint16) {
		c := lengthConfigs[int(cfg)%len(lengthConfigs)]
		fr := LengthField(c.size, c.opts...)
		fuzzDecode(t, fr, data, int(split))
		fuzzRoundTrip(t, fr, fr.(*lengthFramer).max, payload, func(frame, p []byte) bool {
			return sameOutsideField(fr, frame, p)
		})
	})
}

func FuzzFixed(f *testing.F) {
	f.Add([]byte("abcdefg"), []byte("xyz"), uint8(2), uint16(4))
	f.Fuzz(func(t *testing.T, data, payload []byte, size uint8, split uint16) {
		n := int(size%32) + 1
		fr := Fixed(n)
		fuzzDecode(t, fr, data, int(split))
		// Fixed frames only payloads of exactly n bytes: fit payload to n.
		p := append(bytes.Clone(payload), make([]byte, n)...)[:n]
		fuzzRoundTrip(t, fr, n, p, bytes.Equal)
		if _, err := fr.Append(nil, payload); (err == nil) != (len(payload) == n) {
			t.Fatalf("Append(%d bytes) to Fixed(%d): %v", len(payload), n, err)
		}
	})
}
