package codec

import (
	"errors"
	"testing"
)

func TestDelimiterNext(t *testing.T) {
	t.Run("single byte", func(t *testing.T) {
		runDecodeCases(t, Delimiter([]byte{0}), []decodeCase{
			{name: "one", in: "abc\x00", want: []string{"abc"}},
			{name: "many", in: "a\x00\x00bc\x00d", want: []string{"a", "", "bc"}, rest: 1},
			{name: "newline is data", in: "a\nb\x00", want: []string{"a\nb"}},
		})
	})
	t.Run("crlfcrlf", func(t *testing.T) {
		runDecodeCases(t, Delimiter([]byte("\r\n\r\n")), []decodeCase{
			{name: "one", in: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", want: []string{"GET / HTTP/1.1\r\nHost: x"}},
			{name: "two", in: "a\r\n\r\nb\r\n\r\n", want: []string{"a", "b"}},
			{name: "partial delimiter", in: "a\r\n\r", rest: 4},
			{name: "empty frames", in: "\r\n\r\n\r\n\r\n", want: []string{"", ""}},
		})
	})
	t.Run("self overlapping", func(t *testing.T) {
		runDecodeCases(t, Delimiter([]byte("aab")), []decodeCase{
			{name: "overlap", in: "xaaab", want: []string{"xa"}},
			{name: "pending prefix", in: "xaa", rest: 3},
			{name: "two", in: "aabaab", want: []string{"", ""}},
		})
	})
	t.Run("max 3 delim --", func(t *testing.T) {
		runDecodeCases(t, Delimiter([]byte("--"), MaxFrame(3)), []decodeCase{
			{name: "exact max", in: "abc--", want: []string{"abc"}},
			{name: "exact max pending dash", in: "abc-", rest: 4},
			{name: "max+1 no delimiter", in: "abcd", err: ErrFrameTooLarge, got: 4},
			{name: "max+1 then delimiter", in: "abcd--", err: ErrFrameTooLarge, got: 4},
			{name: "dash not delimiter", in: "abc-x", err: ErrFrameTooLarge, got: 4},
			{name: "good then flood", in: "a--bcdefghijk", want: []string{"a"}, err: ErrFrameTooLarge, got: 4},
		})
	})
	t.Run("max 1 long delim", func(t *testing.T) {
		runDecodeCases(t, Delimiter([]byte("END!"), MaxFrame(1)), []decodeCase{
			{name: "empty", in: "END!", want: []string{""}},
			{name: "one", in: "xEND!", want: []string{"x"}},
			{name: "pending", in: "xEN", rest: 3},
			{name: "too large", in: "xyEND!", err: ErrFrameTooLarge, got: 2},
			{name: "too large at once", in: "xy", err: ErrFrameTooLarge, got: 2},
		})
	})
}

func TestDelimiterAppend(t *testing.T) {
	cases := []struct {
		name    string
		delim   string
		payload string
		want    string
		err     error
	}{
		{name: "plain", delim: "\x00", payload: "abc", want: "abc\x00"},
		{name: "empty", delim: "--", payload: "", want: "--"},
		{name: "exact max", delim: "--", payload: "12345678", want: "12345678--"},
		{name: "too large", delim: "--", payload: "123456789", err: ErrFrameTooLarge},
		{name: "contains", delim: "--", payload: "a--b", err: ErrDelimiterInPayload},
		{name: "contains single", delim: "\x00", payload: "a\x00", err: ErrDelimiterInPayload},
		{name: "overlaps end", delim: "aa", payload: "xa", err: ErrDelimiterInPayload},
		{name: "prefix at end is fine", delim: "aab", payload: "xa", want: "xaaab"},
		{name: "partial is fine", delim: "aab", payload: "xab", want: "xabaab"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := Delimiter([]byte(tc.delim), MaxFrame(8))
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

func TestDelimiterCopiesDelim(t *testing.T) {
	d := []byte("--")
	f := Delimiter(d)
	d[0] = 'x'
	frame, n, err := f.Next([]byte("a--"))
	if err != nil || n != 3 || string(frame) != "a" {
		t.Fatalf("got %q, %d, %v", frame, n, err)
	}
}
