package codec_test

import (
	"errors"
	"fmt"

	"github.com/shoalrt/shoal/codec"
)

// The loop a runtime runs over a connection's unconsumed bytes: take frames
// until Next needs more, keep the rest for the next read.
func ExampleFramer() {
	f := codec.Line()
	buf := []byte("hello\r\nworld\npart")
	for {
		frame, n, err := f.Next(buf)
		if err != nil {
			fmt.Println("close:", err)
			return
		}
		if n == 0 {
			break // need more bytes
		}
		fmt.Printf("frame %q\n", frame)
		buf = buf[n:]
	}
	fmt.Printf("pending %q\n", buf)
	// Output:
	// frame "hello"
	// frame "world"
	// pending "part"
}

func ExampleLengthField() {
	f := codec.LengthField(2)
	wire, _ := f.Append(nil, []byte("ping"))
	wire, _ = f.Append(wire, []byte("pong"))
	fmt.Printf("% x\n", wire)

	frame, n, _ := f.Next(wire)
	fmt.Printf("%q used %d bytes\n", frame, n)
	// Output:
	// 00 04 70 69 6e 67 00 04 70 6f 6e 67
	// "ping" used 6 bytes
}

// A protocol with a type byte before a little-endian length that counts the
// whole 5-byte header: keep the type byte in the frame, drop the length.
func ExampleLengthField_layout() {
	f := codec.LengthField(4,
		codec.LittleEndian(),
		codec.LengthOffset(1), // the type byte
		codec.LengthAdjust(-5),
		codec.Strip(0), // return the whole frame, header included
	)
	frame, n, err := f.Next([]byte{'T', 7, 0, 0, 0, 'h', 'i', 'X'})
	fmt.Printf("%q %d %v\n", frame, n, err)

	// Append takes the same view of the frame: it fills in the length.
	wire, _ := f.Append(nil, []byte{'T', 0, 0, 0, 0, 'h', 'i'})
	fmt.Printf("% x\n", wire)
	// Output:
	// "T\a\x00\x00\x00hi" 7 <nil>
	// 54 07 00 00 00 68 69
}

func ExampleDelimiter() {
	f := codec.Delimiter([]byte("\r\n\r\n"))
	frame, n, _ := f.Next([]byte("Host: a\r\nX: 1\r\n\r\nnext"))
	fmt.Printf("%q %d\n", frame, n)
	// Output:
	// "Host: a\r\nX: 1" 17
}

func ExampleFrameError() {
	f := codec.Line(codec.MaxFrame(8))
	_, _, err := f.Next([]byte("a line much longer than eight bytes"))
	var fe *codec.FrameError
	if errors.As(err, &fe) {
		fmt.Println(errors.Is(err, codec.ErrFrameTooLarge), fe.Limit, fe.Got)
	}
	// Output:
	// true 8 10
}

func ExampleBytesCodec() {
	c := codec.Bytes(codec.Line())
	out, _ := c.Marshal(nil, "hello")
	out, _ = c.Marshal(out, []byte("world"))
	fmt.Printf("%q\n", out)

	_, err := c.Marshal(nil, 42)
	fmt.Println(err, errors.Is(err, codec.ErrUnsupportedType))
	// Output:
	// "hello\nworld\n"
	// codec: bytes serializer cannot marshal int true
}

func ExampleNew() {
	var c codec.Codec = codec.New(codec.Fixed(3), codec.Raw())
	frame, _, _ := c.Next([]byte("abcdef"))
	msg, _ := c.Unmarshal(frame)
	fmt.Printf("%q\n", msg)
	// Output:
	// "abc"
}
