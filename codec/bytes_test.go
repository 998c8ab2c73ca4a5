package codec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestBytesCodecMarshal(t *testing.T) {
	c := Bytes(Line())
	cases := []struct {
		name string
		msg  any
		want string
		err  error
	}{
		{name: "bytes", msg: []byte("hi"), want: "hi"},
		{name: "string", msg: "hi", want: "hi"},
		{name: "empty string", msg: "", want: ""},
		{name: "no framing, so no framer error", msg: "a\nb", want: "a\nb"},
		{name: "int", msg: 42, err: ErrUnsupportedType},
		{name: "nil", msg: nil, err: ErrUnsupportedType},
		{name: "byte array pointer", msg: &[2]byte{}, err: ErrUnsupportedType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.Marshal([]byte("pre"), tc.msg)
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
		})
	}
}

func TestBytesCodecTypeError(t *testing.T) {
	_, err := Bytes(Raw()).Marshal(nil, 1.5)
	var te *TypeError
	if !errors.As(err, &te) || te.Type != reflect.TypeOf(1.5) || te.Codec != "bytes" {
		t.Fatalf("err = %#v", err)
	}
}

func TestBytesCodecUnmarshal(t *testing.T) {
	frame := []byte("abc")
	msg, err := Bytes(Raw()).Unmarshal(frame)
	b, ok := msg.([]byte)
	if err != nil || !ok || &b[0] != &frame[0] || len(b) != 3 {
		t.Fatalf("Unmarshal = %v, %v; want the frame itself", msg, err)
	}
}

func TestNewCodec(t *testing.T) {
	c, err := New(Fixed(2), Bytes(Raw()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal(nil, "ab")
	if err != nil || string(out) != "ab" {
		t.Fatalf("Marshal = %q, %v", out, err)
	}
	frame, n, err := c.Next([]byte("abc"))
	if err != nil || n != 2 || string(frame) != "ab" {
		t.Fatalf("Next = %q, %d, %v", frame, n, err)
	}
}

// The general constructor and Bytes refuse what would fail later, on the
// first message: New has only the error form, Bytes both.
func TestCodecConstructorsRefuseNil(t *testing.T) {
	cases := []struct {
		name string
		new  func() (any, error)
		must func() any // nil: no panicking form
		msg  string
	}{
		{name: "New nil framer", new: func() (any, error) { return New(nil, Bytes(Raw())) }, msg: "New: nil Framer"},
		{name: "New nil serializer", new: func() (any, error) { return New(Raw(), nil) }, msg: "New: nil Serializer"},
		{name: "Bytes nil framer", new: func() (any, error) { return NewBytes(nil) },
			must: func() any { return Bytes(nil) }, msg: "Bytes: nil Framer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.new()
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrInvalidConfig mentioning %q", err, tc.msg)
			}
			if c != nil && !reflect.ValueOf(c).IsNil() {
				t.Fatalf("got %#v with the error, want nil", c)
			}
			if tc.must == nil {
				return
			}
			defer func() {
				if perr, _ := recover().(error); !errors.Is(perr, ErrInvalidConfig) || !strings.Contains(perr.Error(), tc.msg) {
					t.Fatalf("panic value %v, want the error", perr)
				}
			}()
			tc.must()
			t.Fatal("no panic")
		})
	}
	if c, err := NewBytes(Line()); err != nil || c.Framer == nil {
		t.Fatalf("NewBytes(Line()) = %v, %v", c, err)
	}
}
