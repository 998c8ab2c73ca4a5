package codec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
)

// JSONSerializer encodes registered messages as JSON, tagged by a Registry,
// for browser clients.
//
// Wire format: one frame is one JSON object, {"type": tag, "data": body},
// where body is the message as encoding/json encodes it (with HTML escaping
// off: a frame is not embedded in HTML). A registered Say{Room: "a", Text:
// "hi"} is
//
//	{"type":"Say","data":{"Room":"a","Text":"hi"}}
//
// Unmarshal accepts the two keys in any order, among others it ignores; the
// keys match exactly (unlike struct fields in encoding/json, not "TYPE"),
// and the last of duplicates wins. A missing or null "data" yields the zero
// value. Unknown fields in data are ignored; a field of the wrong JSON type,
// a missing or null "type", trailing bytes or invalid JSON are malformed. encoding/json copies everything it decodes and grows slices as
// it reads elements, so nothing aliases the frame and allocation is
// bounded by the frame's size.
//
// A JSONSerializer is safe for concurrent use: encoders come from a
// per-serializer pool.
type JSONSerializer struct {
	reg  *Registry
	encs sync.Pool // *jsonEncoder
}

// jsonEncoder is a pooled encoding/json encoder wired to an appendWriter.
type jsonEncoder struct {
	w   appendWriter
	enc *json.Encoder
}

// NewJSONSerializer returns the JSON serializer of the types in r (a nil
// r holds none). It checks nothing, so it cannot fail: the Registry was
// checked when it was built.
func NewJSONSerializer(r *Registry) *JSONSerializer {
	s := &JSONSerializer{reg: orEmpty(r)}
	s.encs.New = func() any {
		e := &jsonEncoder{}
		e.enc = json.NewEncoder(&e.w)
		e.enc.SetEscapeHTML(false)
		return e
	}
	return s
}

// JSON returns the codec that frames with f and serializes the types of
// samples (see NewRegistry) with a JSONSerializer. It panics if f is nil or
// the samples do not make a valid Registry; NewJSON returns the error
// instead. To give the msgpack and JSON codecs of one protocol the same
// tags, build a Registry once and pass it as the only sample to both.
func JSON(f Framer, samples ...any) Codec {
	return must(NewJSON(f, samples...))
}

// NewJSON is JSON returning an error wrapping ErrInvalidConfig instead of
// panicking.
func NewJSON(f Framer, samples ...any) (Codec, error) {
	return newRegistered("JSON", f, samples, func(r *Registry) Serializer { return NewJSONSerializer(r) })
}

// Registry returns the serializer's registry. Safe for concurrent use.
func (s *JSONSerializer) Registry() *Registry { return s.reg }

// Marshal appends {"type":tag,"data":body} for msg, a registered type or a
// non-nil pointer to one, to dst, unframed. Anything else is a *TypeError
// (errors.Is ErrUnsupportedType); a value encoding/json rejects (a NaN, a
// channel field) is its error. It allocates nothing beyond growing dst and
// what encoding/json must for msg's fields. On error dst is returned with
// its original length. Safe for concurrent use.
func (s *JSONSerializer) Marshal(dst []byte, msg any) ([]byte, error) {
	e := s.reg.lookup(msg)
	if e == nil || isNilPointer(msg) {
		return dst, &TypeError{Type: reflect.TypeOf(msg), Codec: "json"}
	}
	n := len(dst)
	enc := s.encs.Get().(*jsonEncoder)
	enc.w.b = append(dst, e.jsonPre...)
	err := enc.enc.Encode(msg)
	out := enc.w.b
	enc.w.b = nil
	s.encs.Put(enc)
	if err != nil {
		return dst[:n], err
	}
	out[len(out)-1] = '}' // Encode ends the value with '\n'
	return out, nil
}

// Unmarshal decodes frame, {"type":tag,"data":body}, into a message of
// the type tag names, in the form that type was registered in (a Join for
// Join{}, a new *Join for &Join{}; one allocation for the message itself
// either way, as for MsgpackSerializer.Unmarshal, plus encoding/json's
// own). An unregistered tag is an *UnknownTagError (ErrUnknownTag);
// anything else wrong is a *MalformedError (ErrMalformed). It never panics
// and never keeps or aliases frame. Safe for concurrent use.
func (s *JSONSerializer) Unmarshal(frame []byte) (any, error) {
	tag, data, err := jsonEnvelope(frame)
	if err != nil {
		return nil, &MalformedError{Codec: "json", Err: err}
	}
	e := s.reg.byTag[string(tag)]
	if e == nil {
		return nil, unknownTag("json", tag)
	}
	v := e.target()
	if data != nil {
		if err := decodeJSON(data, v); err != nil {
			e.release(v)
			return nil, &MalformedError{Codec: "json", Tag: e.tag, Err: err}
		}
	}
	return e.message(v), nil
}

// decodeJSON decodes data into the value v points to. A panic in a type's
// UnmarshalJSON is returned as an error.
func decodeJSON(data []byte, v reflect.Value) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return json.Unmarshal(data, v.Interface())
}
