package codec

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// MsgpackSerializer encodes registered messages as MessagePack, tagged by a
// Registry.
//
// Wire format: one frame is one msgpack array of two elements, [tag, body]:
// tag is a str holding the message's registry tag, body is the message as
// github.com/vmihailenco/msgpack/v5 encodes it, structs as maps keyed by
// field name (the `msgpack` struct tag, else the `json` one, else the Go
// name, so one set of struct tags serves the msgpack and JSON codecs), and
// integers in their most compact form. A registered
// struct{ Room, Text string } named Say, holding "a" and "hi", is
//
//	92 a3 "Say" 82 a4 "Room" a1 "a" a4 "Text" a2 "hi"
//
// which any msgpack library decodes. Unmarshal also accepts the longer
// array and str headers other encoders may write. Unknown fields in a body
// are ignored, so a peer may add fields; a field of the wrong msgpack type
// is malformed; a nil body is the zero value.
//
// Unmarshal first checks the whole frame, without allocating: a frame that
// is not exactly one well-formed value, nests deeper than MaxDepth, or
// declares a string, array or map longer than the rest of the frame is
// malformed before the decoder sees it. So a 5-byte header claiming a 4 GiB
// array allocates nothing, and what a frame can make the decoder allocate is
// bounded by its length times the size of the Go element types it fills.
// Decoded strings and []byte fields are copies: nothing decoded aliases the
// frame.
//
// A MsgpackSerializer is safe for concurrent use: encoders and decoders come
// from per-serializer pools.
type MsgpackSerializer struct {
	reg  *Registry
	encs sync.Pool // *mpEncoder
	decs sync.Pool // *mpDecoder
}

// mpEncoder is a pooled msgpack encoder wired to an appendWriter.
type mpEncoder struct {
	w   appendWriter
	enc *msgpack.Encoder
}

// mpDecoder is a pooled msgpack decoder reading from r.
type mpDecoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

// NewMsgpackSerializer returns the msgpack serializer of the types in r
// (a nil r holds none). It checks nothing, so it cannot fail: the Registry
// was checked when it was built.
func NewMsgpackSerializer(r *Registry) *MsgpackSerializer {
	s := &MsgpackSerializer{reg: orEmpty(r)}
	s.encs.New = func() any {
		e := &mpEncoder{}
		e.enc = msgpack.NewEncoder(&e.w)
		e.enc.UseCompactInts(true)
		e.enc.SetCustomStructTag("json")
		return e
	}
	s.decs.New = func() any {
		d := &mpDecoder{}
		d.dec = msgpack.NewDecoder(&d.r)
		return d
	}
	return s
}

// Msgpack returns the codec that frames with f and serializes the types of
// samples (see NewRegistry: values, pointers, Tagged samples, *Registry)
// with a MsgpackSerializer:
//
//	codec.Msgpack(codec.LengthField(4), Join{}, Say{}, Said{})
//
// It panics if f is nil or the samples do not make a valid Registry;
// NewMsgpack returns the error instead.
func Msgpack(f Framer, samples ...any) Codec {
	return must(NewMsgpack(f, samples...))
}

// NewMsgpack is Msgpack returning an error wrapping ErrInvalidConfig instead
// of panicking.
func NewMsgpack(f Framer, samples ...any) (Codec, error) {
	return newRegistered("Msgpack", f, samples, func(r *Registry) Serializer { return NewMsgpackSerializer(r) })
}

// Registry returns the serializer's registry. Safe for concurrent use.
func (s *MsgpackSerializer) Registry() *Registry { return s.reg }

// Marshal appends [tag, body] for msg, a registered type or a non-nil
// pointer to one, to dst, unframed (the runtime frames it with the codec's
// Framer). Anything else is a *TypeError (errors.Is ErrUnsupportedType).
// It allocates nothing beyond growing dst and what the msgpack encoder must
// for msg's fields (none for structs of strings, numbers, bools and
// slices of them). On error dst is returned with its original length. Safe
// for concurrent use.
func (s *MsgpackSerializer) Marshal(dst []byte, msg any) ([]byte, error) {
	e := s.reg.lookup(msg)
	if e == nil || isNilPointer(msg) {
		return dst, &TypeError{Type: reflect.TypeOf(msg), Codec: "msgpack"}
	}
	n := len(dst)
	enc := s.encs.Get().(*mpEncoder)
	enc.w.b = append(dst, e.mpHead...)
	err := enc.enc.Encode(msg)
	out := enc.w.b
	enc.w.b = nil
	s.encs.Put(enc)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

// Unmarshal decodes frame, [tag, body], into a message of the type tag
// names, in the form that type was registered in: a Join for a registered
// Join{}, a new *Join for a registered &Join{}. Either form costs one
// allocation for the message itself (none for a value of a pointer-shaped
// type, such as a map type) plus what its fields need (a string each, a
// slice's elements). An unregistered tag is an *UnknownTagError
// (ErrUnknownTag); anything else wrong is a *MalformedError (ErrMalformed).
// It never panics and never keeps or aliases frame. Safe for concurrent use.
func (s *MsgpackSerializer) Unmarshal(frame []byte) (any, error) {
	tag, body, err := msgpackEnvelope(frame)
	if err != nil {
		return nil, &MalformedError{Codec: "msgpack", Err: err}
	}
	e := s.reg.byTag[string(tag)]
	if e == nil {
		return nil, unknownTag("msgpack", tag)
	}
	v := e.target()
	if err := s.decode(body, v); err != nil {
		e.release(v)
		return nil, &MalformedError{Codec: "msgpack", Tag: e.tag, Err: err}
	}
	return e.message(v), nil
}

// decode decodes body, checked by msgpackEnvelope, into the value v points
// to. A panic in the decoder (a bug there, or in a message type's own
// DecodeMsgpack) is returned as an error and the decoder is dropped.
func (s *MsgpackSerializer) decode(body []byte, v reflect.Value) (err error) {
	d := s.decs.Get().(*mpDecoder)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	d.r.Reset(body)
	d.dec.Reset(&d.r) // clears any state a failed decode left
	d.dec.SetCustomStructTag("json")
	err = d.dec.DecodeValue(v.Elem())
	d.r.Reset(nil)
	s.decs.Put(d)
	return err
}
