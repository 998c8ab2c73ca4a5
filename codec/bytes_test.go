package codec

import (
	"errors"
	"reflect"
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
	_, err := Raw().Marshal(nil, 1.5)
	var te *TypeError
	if !errors.As(err, &te) || te.Type != reflect.TypeOf(1.5) || te.Codec != "bytes" {
		t.Fatalf("err = %#v", err)
	}
}

func TestBytesCodecUnmarshal(t *testing.T) {
	frame := []byte("abc")
	msg, err := Raw().Unmarshal(frame)
	b, ok := msg.([]byte)
	if err != nil || !ok || &b[0] != &frame[0] || len(b) != 3 {
		t.Fatalf("Unmarshal = %v, %v; want the frame itself", msg, err)
	}
}

func TestNewCodec(t *testing.T) {
	var c Codec = New(Fixed(2), Raw())
	out, err := c.Marshal(nil, "ab")
	if err != nil || string(out) != "ab" {
		t.Fatalf("Marshal = %q, %v", out, err)
	}
	frame, n, err := c.Next([]byte("abc"))
	if err != nil || n != 2 || string(frame) != "ab" {
		t.Fatalf("Next = %q, %d, %v", frame, n, err)
	}
}
