package codec

import (
	"errors"
	"strings"
	"testing"
)

func TestInvalidConfig(t *testing.T) {
	cases := []struct {
		name  string
		build func() (Framer, error)
		must  func() Framer // the panicking constructor, when there is one
		msg   string        // part of the error text
	}{
		{name: "line negative max", build: func() (Framer, error) { return NewLine(MaxFrame(-1)) },
			must: func() Framer { return Line(MaxFrame(-1)) }, msg: "MaxFrame(-1)"},
		{name: "line zero max", build: func() (Framer, error) { return NewLine(MaxFrame(0)) }, msg: "must be positive"},
		{name: "line little endian", build: func() (Framer, error) { return NewLine(LittleEndian()) },
			must: func() Framer { return Line(LittleEndian()) }, msg: "Line does not take option LittleEndian"},
		{name: "nil option", build: func() (Framer, error) { return NewLine(nil) }, msg: "nil Option"},
		{name: "empty delimiter", build: func() (Framer, error) { return NewDelimiter(nil) },
			must: func() Framer { return Delimiter([]byte{}) }, msg: "empty delimiter"},
		{name: "delimiter strip", build: func() (Framer, error) { return NewDelimiter([]byte("x"), Strip(1), LengthOffset(1)) },
			msg: "LengthOffset, Strip"},
		{name: "fixed zero", build: func() (Framer, error) { return NewFixed(0) },
			must: func() Framer { return Fixed(0) }, msg: "Fixed(0)"},
		{name: "fixed little endian", build: func() (Framer, error) { return NewFixed(4, LittleEndian()) }, msg: "Fixed does not take"},
		{name: "fixed over max", build: func() (Framer, error) { return NewFixed(10, MaxFrame(9)) }, msg: "Fixed(10)"},
		{name: "raw adjust", build: func() (Framer, error) { return NewRaw(LengthAdjust(1)) },
			must: func() Framer { return Raw(LengthAdjust(1)) }, msg: "Raw does not take"},
		{name: "raw zero max", build: func() (Framer, error) { return NewRaw(MaxFrame(0)) },
			must: func() Framer { return Raw(MaxFrame(0)) }, msg: "Raw: MaxFrame(0)"},
		{name: "length size 3", build: func() (Framer, error) { return NewLengthField(3) },
			must: func() Framer { return LengthField(3) }, msg: "LengthField(3)"},
		{name: "length size 0", build: func() (Framer, error) { return NewLengthField(0) }, msg: "1, 2, 4 or 8"},
		{name: "length negative offset", build: func() (Framer, error) { return NewLengthField(4, LengthOffset(-1)) },
			must: func() Framer { return LengthField(4, LengthOffset(-1)) }, msg: "LengthOffset(-1)"},
		{name: "length huge offset", build: func() (Framer, error) { return NewLengthField(4, LengthOffset(1<<31)) }, msg: "LengthOffset"},
		{name: "length negative strip", build: func() (Framer, error) { return NewLengthField(4, Strip(-1)) }, msg: "Strip(-1)"},
		{name: "length huge adjust", build: func() (Framer, error) { return NewLengthField(4, LengthAdjust(-1<<31)) }, msg: "LengthAdjust"},
		{name: "length negative max", build: func() (Framer, error) { return NewLengthField(4, MaxFrame(-5)) }, msg: "MaxFrame(-5)"},
		{name: "length nothing fits field", build: func() (Framer, error) { return NewLengthField(1, LengthAdjust(-300)) },
			must: func() Framer { return LengthField(1, LengthAdjust(-300)) }, msg: "no length value"},
		{name: "length nothing fits max", build: func() (Framer, error) { return NewLengthField(2, Strip(0), MaxFrame(1)) }, msg: "no length value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.build()
			if f != nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, %v; want ErrInvalidConfig mentioning %q", f, err, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "codec: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			if tc.must == nil {
				return
			}
			defer func() {
				perr, _ := recover().(error)
				if !errors.Is(perr, ErrInvalidConfig) {
					t.Fatalf("panic value %v, want ErrInvalidConfig", perr)
				}
			}()
			tc.must()
			t.Fatal("constructor did not panic")
		})
	}
}

func TestValidConfig(t *testing.T) {
	cases := []struct {
		name  string
		build func() (Framer, error)
	}{
		{name: "line", build: func() (Framer, error) { return NewLine(MaxFrame(1)) }},
		{name: "delimiter", build: func() (Framer, error) { return NewDelimiter([]byte("abc"), MaxFrame(1)) }},
		{name: "fixed", build: func() (Framer, error) { return NewFixed(DefaultMaxFrame) }},
		{name: "raw", build: func() (Framer, error) { return NewRaw(MaxFrame(1)) }},
		{name: "length all options", build: func() (Framer, error) {
			return NewLengthField(8, LittleEndian(), LengthOffset(2), LengthAdjust(-10), Strip(1), MaxFrame(100))
		}},
		{name: "length max int", build: func() (Framer, error) { return NewLengthField(8, MaxFrame(maxInt)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if f, err := tc.build(); err != nil || f == nil {
				t.Fatalf("got %v, %v", f, err)
			}
		})
	}
}
