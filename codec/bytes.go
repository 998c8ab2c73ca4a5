package codec

import (
	"reflect"
)

// BytesCodec delivers frames as []byte messages and writes []byte or string
// messages as payloads. The runtime recognises *BytesCodec and delivers
// frames without boxing them. Safe for concurrent use if its Framer is.
type BytesCodec struct{ Framer }

// Bytes returns the codec that frames with f and passes payloads through:
// Bytes(Line()) for lines, Bytes(Raw()) for a stream delivered in the chunks
// read. It panics if f is nil; NewBytes returns the error instead.
func Bytes(f Framer) *BytesCodec { return must(NewBytes(f)) }

// NewBytes is Bytes returning an error wrapping ErrInvalidConfig instead of
// panicking.
func NewBytes(f Framer) (*BytesCodec, error) {
	if f == nil {
		return nil, configError("Bytes: nil Framer")
	}
	return &BytesCodec{Framer: f}, nil
}

// Unmarshal returns frame itself, as a []byte. It aliases the connection
// buffer: a receiver that keeps it must copy it. Converting the slice to an
// interface allocates; the runtime avoids this by recognising *BytesCodec.
// Safe for concurrent use.
func (c *BytesCodec) Unmarshal(frame []byte) (any, error) { return frame, nil }

// Marshal appends msg, a []byte or a string, to dst as it is (unframed, like
// every Serializer: the runtime frames the payload with Append). Any other type
// is a *TypeError (errors.Is ErrUnsupportedType). It does not allocate
// beyond growing dst. Safe for concurrent use if the Framer is.
func (c *BytesCodec) Marshal(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case []byte:
		return append(dst, m...), nil
	case string:
		return append(dst, m...), nil
	default:
		return dst, &TypeError{Type: reflect.TypeOf(msg), Codec: "bytes"}
	}
}
