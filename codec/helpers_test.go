package codec

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
	"unsafe"
)

// within reports whether frame lies inside in's first n bytes (an empty
// frame may be nil).
func within(frame, in []byte, n int) bool {
	if len(frame) == 0 {
		return true
	}
	f := uintptr(unsafe.Pointer(unsafe.SliceData(frame)))
	b := uintptr(unsafe.Pointer(unsafe.SliceData(in)))
	return f >= b && f+uintptr(len(frame)) <= b+uintptr(n)
}

// step calls Next (or NextFrom if from > 0) and checks the contract every
// result must keep, whatever the input.
func step(t testing.TB, f Framer, in []byte, from int) ([]byte, int, error) {
	t.Helper()
	var (
		frame []byte
		n     int
		err   error
	)
	if r, ok := f.(Resumer); ok && from > 0 {
		frame, n, err = r.NextFrom(in, from)
	} else {
		frame, n, err = f.Next(in)
	}
	switch {
	case n < 0 || n > len(in):
		t.Fatalf("Next(%d bytes) used n=%d", len(in), n)
	case err != nil && (n != 0 || frame != nil):
		t.Fatalf("Next returned error %v with n=%d, %d-byte frame", err, n, len(frame))
	case n == 0 && frame != nil:
		t.Fatalf("Next returned a %d-byte frame with n=0", len(frame))
	case !within(frame, in, n):
		t.Fatalf("frame of %d bytes is not inside the %d bytes used", len(frame), n)
	}
	return frame, n, err
}

// feed simulates a connection: chunks arrive one at a time at the end of a
// buffer, and after each the framer runs until it needs more. It returns
// copies of the frames, the bytes left unconsumed and the first error.
// resume uses NextFrom to skip bytes already scanned.
func feed(t testing.TB, f Framer, resume bool, chunks ...[]byte) (frames [][]byte, rest int, err error) {
	t.Helper()
	var buf []byte
	scanned := 0 // bytes of buf known to hold no frame end
	for _, c := range chunks {
		buf = append(buf, c...)
		for {
			from := 0
			if resume {
				from = scanned
			}
			frame, n, err := step(t, f, buf, from)
			if err != nil {
				return frames, len(buf), err
			}
			if n == 0 {
				scanned = len(buf)
				break
			}
			frames = append(frames, bytes.Clone(frame))
			buf = buf[n:]
			scanned = 0
		}
	}
	return frames, len(buf), nil
}

// checkSplits feeds stream whole, split in two at every byte position, and
// one byte at a time (with and without NextFrom), and checks that each way
// yields want and leaves rest bytes, with no error.
func checkSplits(t *testing.T, f Framer, stream []byte, want [][]byte, rest int) {
	t.Helper()
	check := func(how string, frames [][]byte, r int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: error %v", how, err)
		}
		if !equalFrames(frames, want) || r != rest {
			t.Fatalf("%s: got %q rest %d, want %q rest %d", how, frames, r, want, rest)
		}
	}
	for k := 0; k <= len(stream); k++ {
		frames, r, err := feed(t, f, false, stream[:k], stream[k:])
		check("split at "+strconv.Itoa(k), frames, r, err)
	}
	for _, resume := range []bool{false, true} {
		chunks := make([][]byte, len(stream))
		for i := range stream {
			chunks[i] = stream[i : i+1]
		}
		frames, r, err := feed(t, f, resume, chunks...)
		check("byte by byte", frames, r, err)
	}
}

func equalFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// strs converts strings to frames for tables.
func strs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i := range s {
		out[i] = []byte(s[i])
	}
	return out
}

// decodeCase is one row of a framer's decode table.
type decodeCase struct {
	name string
	in   string
	want []string // frames, in order, before the stream needs more or breaks
	rest int      // bytes left unconsumed (when err is nil)
	err  error    // sentinel the stream breaks with, or nil
	got  int      // FrameError.Got fed whole, when err is ErrFrameTooLarge
}

// runDecodeCases checks each case fed whole, split at every byte position
// and byte by byte.
func runDecodeCases(t *testing.T, f Framer, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := strs(tc.want...)
			if tc.err == nil {
				checkSplits(t, f, []byte(tc.in), want, tc.rest)
				return
			}
			in := []byte(tc.in)
			for k := 0; k <= len(in); k++ {
				frames, _, err := feed(t, f, k%2 == 1, in[:k], in[k:])
				if !errors.Is(err, tc.err) || !equalFrames(frames, want) {
					t.Fatalf("split at %d: got %q, %v; want %q, %v", k, frames, err, want, tc.err)
				}
				var fe *FrameError
				if !errors.As(err, &fe) {
					continue
				}
				// Got is a lower bound for delimiter framers: it depends on how
				// much was buffered when the error showed. Fed whole, it is exact.
				if fe.Got <= fe.Limit || k == len(in) && fe.Got != tc.got {
					t.Fatalf("split at %d: FrameError%+v, want Got %d", k, *fe, tc.got)
				}
			}
		})
	}
}
