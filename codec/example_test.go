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
	payload, _ := c.Marshal(nil, "hello") // a serializer's output is unframed
	out, _ := c.Append(nil, payload)      // the framer frames it
	out, _ = c.Append(out, []byte("world"))
	fmt.Printf("%q\n", out)

	_, err := c.Marshal(nil, 42)
	fmt.Println(err, errors.Is(err, codec.ErrUnsupportedType))
	// Output:
	// "hello\nworld\n"
	// codec: bytes serializer cannot marshal int true
}

func ExampleNew() {
	c, err := codec.New(codec.Fixed(3), codec.Bytes(codec.Raw()))
	if err != nil {
		panic(err)
	}
	frame, _, _ := c.Next([]byte("abcdef"))
	msg, _ := c.Unmarshal(frame)
	fmt.Printf("%q\n", msg)
	// Output:
	// "abc"
}

// Messages of a chat protocol, for the serializer examples.
type (
	Join struct{ Room string }
	Say  struct {
		Room string `json:"room"`
		Text string `json:"text"`
	}
)

// A codec is a framer plus a serializer, in one line. What you register is
// what you receive: Join{} and Say{} are registered as values, so they are
// decoded as values (register &Say{} to receive a *Say).
func ExampleMsgpack() {
	c := codec.Msgpack(codec.LengthField(4), Join{}, Say{})

	payload, _ := c.Marshal(nil, Say{Room: "lobby", Text: "hi"})
	wire, _ := c.Append(nil, payload) // what the runtime writes to the socket
	fmt.Printf("% x\n", wire)

	frame, _, _ := c.Next(wire) // what the runtime reads back
	msg, _ := c.Unmarshal(frame)
	switch m := msg.(type) {
	case Join:
		fmt.Println("join", m.Room)
	case Say:
		fmt.Printf("say %q in %q\n", m.Text, m.Room)
	}
	// Output:
	// 00 00 00 19 92 a3 53 61 79 82 a4 72 6f 6f 6d a5 6c 6f 62 62 79 a4 74 65 78 74 a2 68 69
	// say "hi" in "lobby"
}

// Browser clients get the same messages as JSON objects. Marshal takes a
// registered type as a value or a pointer; Unmarshal yields the registered
// form, here a pointer, since &Join{} was registered.
func ExampleJSON() {
	c := codec.JSON(codec.Line(), &Join{}, Say{})
	out, _ := c.Marshal(nil, &Say{Room: "lobby", Text: "hi"})
	fmt.Printf("%s\n", out)

	msg, _ := c.Unmarshal([]byte(`{"type":"Join","data":{"Room":"lobby"}}`))
	fmt.Printf("%#v\n", msg)
	// Output:
	// {"type":"Say","data":{"room":"lobby","text":"hi"}}
	// &codec_test.Join{Room:"lobby"}
}

// One registry for both wires, with a tag that survives renaming the type.
func ExampleRegistry() {
	reg := codec.MustRegistry(codec.Tagged("join", Join{}), Say{})
	tcp := codec.Msgpack(codec.LengthField(4), reg)
	browser := codec.JSON(codec.Line(), reg)

	b, _ := browser.Marshal(nil, Join{Room: "lobby"})
	fmt.Printf("%s\n", b)
	b, _ = tcp.Marshal(nil, Join{Room: "lobby"})
	fmt.Printf("%q\n", b)
	fmt.Println(reg.Tags())
	// Output:
	// {"type":"join","data":{"Room":"lobby"}}
	// "\x92\xa4join\x81\xa4Room\xa5lobby"
	// [join Say]
}

func ExampleUnknownTagError() {
	c := codec.JSON(codec.Line(), Join{})
	_, err := c.Unmarshal([]byte(`{"type":"Shout"}`))
	var ute *codec.UnknownTagError
	fmt.Println(errors.As(err, &ute), ute.Tag, errors.Is(err, codec.ErrUnknownTag))

	_, err = c.Unmarshal([]byte(`{"type":"Join","data":{"Room":1}}`))
	fmt.Println(errors.Is(err, codec.ErrMalformed))
	// Output:
	// true Shout true
	// true
}
