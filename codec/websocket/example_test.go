package websocket_test

import (
	"fmt"
	"strings"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
)

// Say is a chat message of the examples.
type Say struct{ Text string }

// A JSON WebSocket endpoint at /chat, driven by hand the way the runtime
// drives it: the upgrade request in, the 101 answer out, then messages.
// Say{} is registered, so a Say value is received (register &Say{} to
// receive a *Say).
func ExampleJSON() {
	c := websocket.JSON(websocket.Options{Path: "/chat"}, Say{})
	st := c.NewStream(false, "")
	in := []byte("GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	// A masked text frame from the browser, in the same read.
	in = append(in, maskedText(`{"type":"Say","data":{"Text":"hi"}}`)...)
	for {
		ev, n := st.Next(in)
		in = in[n:]
		switch ev.Kind {
		case codec.EventReply:
			fmt.Println("answer:", strings.SplitN(string(ev.Frame), "\r\n", 2)[0])
		case codec.EventOpen:
			fmt.Println("open:", ev.Info.(*websocket.Upgrade).Request.URL.Path)
		case codec.EventMessage:
			msg, err := c.Unmarshal(ev.Frame)
			fmt.Printf("message: %T %+v %v\n", msg, msg, err)
		}
		if ev.Kind == codec.EventNone && n == 0 {
			break
		}
	}
	// Writing: the payload is the serializer's encoding of the message.
	payload, _ := c.Marshal(nil, Say{Text: "hello"})
	out, _ := st.AppendMessage(nil, payload, Say{Text: "hello"})
	fmt.Printf("frame: %x %q\n", out[:2], out[2:])
	// Output:
	// answer: HTTP/1.1 101 Switching Protocols
	// open: /chat
	// message: websocket_test.Say {Text:hi} <nil>
	// frame: 8126 "{\"type\":\"Say\",\"data\":{\"Text\":\"hello\"}}"
}

// A raw codec passes payloads through: text messages as codec.Text, binary
// ones as []byte. A server frame is the same for every connection of a
// framing class (class 0: without compression), so a broadcast is framed
// once per class with the codec's AppendShared.
func ExampleRaw() {
	c := websocket.Raw(websocket.Options{})
	text, _ := c.AppendShared(nil, []byte("hi"), codec.Text("hi"), 0)
	bin, _ := c.AppendShared(nil, []byte{1, 2}, []byte{1, 2}, 0)
	fmt.Printf("% x\n% x\n", text, bin)
	fmt.Println(c.RawFrames())
	// Output:
	// 81 02 68 69
	// 82 02 01 02
	// true
}

// maskedText is a client text frame with a fixed masking key.
func maskedText(s string) []byte {
	key := [4]byte{1, 2, 3, 4}
	out := []byte{0x81, 0x80 | byte(len(s))}
	out = append(out, key[:]...)
	for i := range len(s) {
		out = append(out, s[i]^key[i%4])
	}
	return out
}
