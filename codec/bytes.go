package codec

import (
	"reflect"
	"unsafe"
)

// BytesCodec delivers frames as []byte messages and writes []byte or string
// messages as payloads. The runtime recognises *BytesCodec and delivers
// frames without boxing them. Safe for concurrent use if its Framer is.
type BytesCodec struct{ Framer }

// Bytes returns the codec that frames with f and passes payloads through.
func Bytes(f Framer) *BytesCodec { return &BytesCodec{Framer: f} }

// Raw returns Bytes(RawFramer()): every chunk of bytes read is one message,
// and written bytes go out as they are.
func Raw() *BytesCodec { return Bytes(RawFramer()) }

// Unmarshal returns frame itself, as a []byte. It aliases the connection
// buffer: a receiver that keeps it must copy it. Converting the slice to an
// interface allocates; the runtime avoids this by recognising *BytesCodec.
// Safe for concurrent use.
func (c *BytesCodec) Unmarshal(frame []byte) (any, error) { return frame, nil }

// Marshal appends msg, a []byte or a string, framed, to dst. Any other type
// is a *TypeError (errors.Is ErrUnsupportedType). It does not allocate
// beyond growing dst. Safe for concurrent use if the Framer is.
func (c *BytesCodec) Marshal(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case []byte:
		return c.Append(dst, m)
	case string:
		// Framer.Append must not modify its payload, so the string's bytes
		// can be lent to it without a copy.
		return c.Append(dst, unsafe.Slice(unsafe.StringData(m), len(m)))
	default:
		return dst, &TypeError{Type: reflect.TypeOf(msg), Codec: "bytes"}
	}
}
