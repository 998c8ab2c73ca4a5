package codec

import (
	"errors"
	"testing"
)

func TestLineNext(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		runDecodeCases(t, Line(), []decodeCase{
			{name: "one line", in: "hello\n", want: []string{"hello"}},
			{name: "crlf", in: "hello\r\n", want: []string{"hello"}},
			{name: "empty lines", in: "\n\r\n\n", want: []string{"", "", ""}},
			{name: "many", in: "a\nbb\r\nccc\n", want: []string{"a", "bb", "ccc"}},
			{name: "partial tail", in: "a\nbc", want: []string{"a"}, rest: 2},
			{name: "partial cr", in: "a\r", rest: 2},
			{name: "inner cr kept", in: "a\rb\n", want: []string{"a\rb"}},
			{name: "one cr stripped", in: "a\r\r\n", want: []string{"a\r"}},
			{name: "binary", in: "\x00\xff\n", want: []string{"\x00\xff"}},
			{name: "empty input", in: ""},
		})
	})
	t.Run("max 4", func(t *testing.T) {
		runDecodeCases(t, Line(MaxFrame(4)), []decodeCase{
			{name: "exact max", in: "abcd\n", want: []string{"abcd"}},
			{name: "exact max crlf", in: "abcd\r\nx", want: []string{"abcd"}, rest: 1},
			{name: "exact max pending", in: "abcd", rest: 4},
			{name: "exact max pending cr", in: "abcd\r", rest: 5},
			{name: "max+1 line", in: "abcde\n", err: ErrFrameTooLarge, got: 5},
			{name: "max+1 crlf", in: "abcde\r\n", err: ErrFrameTooLarge, got: 5},
			{name: "max+1 no newline", in: "abcde", err: ErrFrameTooLarge, got: 5},
			{name: "max then two cr", in: "abcd\r\r", err: ErrFrameTooLarge, got: 5},
			{name: "flood", in: "abcdefghijklmnop", err: ErrFrameTooLarge, got: 6},
			{name: "good then bad", in: "ok\r\nabcdefgh\n", want: []string{"ok"}, err: ErrFrameTooLarge, got: 6},
		})
	})
}

func TestLineAppend(t *testing.T) {
	f := Line(MaxFrame(8))
	cases := []struct {
		name    string
		payload string
		want    string
		err     error
	}{
		{name: "plain", payload: "hello", want: "hello\n"},
		{name: "empty", payload: "", want: "\n"},
		{name: "exact max", payload: "12345678", want: "12345678\n"},
		{name: "inner cr", payload: "a\rb", want: "a\rb\n"},
		{name: "too large", payload: "123456789", err: ErrFrameTooLarge},
		{name: "newline", payload: "a\nb", err: ErrDelimiterInPayload},
		{name: "trailing cr", payload: "ab\r", err: ErrDelimiterInPayload},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("pre")
			out, err := f.Append(dst, []byte(tc.payload))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				if string(out) != "pre" {
					t.Fatalf("dst changed on error: %q", out)
				}
				return
			}
			if string(out) != "pre"+tc.want {
				t.Fatalf("got %q, want %q", out, "pre"+tc.want)
			}
			frame, n, err := f.Next(out[3:])
			if err != nil || n != len(tc.want) || string(frame) != tc.payload {
				t.Fatalf("round trip: %q, %d, %v", frame, n, err)
			}
		})
	}
}
