package codec

import (
	"errors"
	"testing"
)

func TestFixedNext(t *testing.T) {
	runDecodeCases(t, Fixed(3), []decodeCase{
		{name: "one", in: "abc", want: []string{"abc"}},
		{name: "many", in: "abcdefg", want: []string{"abc", "def"}, rest: 1},
		{name: "short", in: "ab", rest: 2},
		{name: "binary", in: "\x00\n\r", want: []string{"\x00\n\r"}},
	})
	runDecodeCases(t, Fixed(1, MaxFrame(1)), []decodeCase{
		{name: "size 1", in: "xyz", want: []string{"x", "y", "z"}},
	})
}

func TestFixedAppend(t *testing.T) {
	f := Fixed(4)
	cases := []struct {
		name    string
		payload string
		err     error
	}{
		{name: "exact", payload: "abcd"},
		{name: "short", payload: "abc", err: ErrPayloadSize},
		{name: "empty", payload: "", err: ErrPayloadSize},
		{name: "long", payload: "abcde", err: ErrFrameTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.Append([]byte("pre"), []byte(tc.payload))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				if string(out) != "pre" {
					t.Fatalf("dst changed on error: %q", out)
				}
				return
			}
			frame, n, err := f.Next(out[3:])
			if err != nil || n != 4 || string(frame) != tc.payload {
				t.Fatalf("round trip: %q, %d, %v", frame, n, err)
			}
		})
	}
}
