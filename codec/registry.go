package codec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"unicode/utf8"
)

// MaxTagLen is the longest tag a Registry accepts, in bytes.
const MaxTagLen = 255

// Registry maps the Go types of a protocol's messages to the tags that name
// them on the wire, and back. The Msgpack and JSON serializers use it to
// write a message's tag before its body and to decode a frame into a value
// of the type its tag names.
//
// Tags. A type registered as a plain sample is tagged with its name as
// reflect.Type.Name reports it, without the package path: Join{} is "Join".
// That tag is stable across builds and machines as long as the type keeps
// its name; Tagged pins a tag that survives renames ("join"). Tags are
// case-sensitive, 1 to MaxTagLen bytes of valid UTF-8. Two samples of the
// same type, or two types with the same tag (say two packages' Join), are a
// configuration error.
//
// What you register is what you receive. A type is registered in one form,
// the form of its sample, and Unmarshal yields that form: register Join{}
// (or Tagged("join", Join{})) and a frame decodes to a Join value, so
// receivers switch on `case Join:`; register &Join{} (or (*Join)(nil)) and
// it decodes to a *Join, freshly allocated, for `case *Join:`. Marshal
// accepts both a Join and a non-nil *Join whichever form was registered.
// Registering both forms of one type is a configuration error.
//
// A Registry is immutable after construction and safe for concurrent use.
type Registry struct {
	byType map[reflect.Type]*entry // registered type (never a pointer) → entry
	byTag  map[string]*entry       // tag → entry
	order  []*entry                // registration order, for Tags
}

// entry is one registered type with its wire prefixes, computed once: set
// at registration, read by every Marshal and Unmarshal of the type. scratch
// is its one mutable part, the pool the decoders of a value form take their
// targets from.
type entry struct {
	typ     reflect.Type // the registered type, never a pointer type
	ptr     bool         // registered as a pointer: decoding yields *typ, else typ
	tag     string
	mpHead  []byte    // msgpack: fixarray(2) + the tag as a str
	jsonPre []byte    // JSON: `{"type":"<tag>","data":`
	scratch sync.Pool // value form: *typ, zero, for a decoder to fill (see target)
}

// target returns a pointer to a zero typ for a decoder to fill, and
// message turns the filled target into the message Unmarshal returns.
//
// For a pointer form the target is new and becomes the message: one
// allocation. For a value form the message is a copy of the target in an
// interface — the copy is the one allocation (none for a pointer-shaped
// type, such as a map type, whose value the interface holds itself) — and
// the target, zeroed again, goes back to scratch for the next message:
// decoding straight into a new value would cost a second allocation, since
// reflect copies an addressable value it puts in an interface. Zeroing
// drops the target's references, so the message aliases nothing that is
// reused. (A type's own UnmarshalJSON or DecodeMsgpack must not keep its
// receiver past the call; for a value form it is that scratch.)
func (e *entry) target() reflect.Value {
	if e.ptr {
		return reflect.New(e.typ)
	}
	return reflect.ValueOf(e.scratch.Get())
}

// message returns the message of target, filled by a decoder (see target).
func (e *entry) message(target reflect.Value) any {
	if e.ptr {
		return target.Interface()
	}
	msg := target.Elem().Interface()
	e.release(target)
	return msg
}

// release zeroes a value form's target and returns it to scratch; a pointer
// form's target is left to the garbage collector.
func (e *entry) release(target reflect.Value) {
	if e.ptr {
		return
	}
	target.Elem().SetZero()
	e.scratch.Put(target.Interface())
}

// tagged is the sample Tagged returns.
type tagged struct {
	tag    string
	sample any
}

// Tagged returns a sample for NewRegistry, Msgpack or JSON that registers
// sample's type, in sample's form (value or pointer), under tag instead of
// the type's name.
func Tagged(tag string, sample any) any { return tagged{tag: tag, sample: sample} }

// NewRegistry registers the type of each sample: a value or pointer of the
// type (Join{} or &Join{}: the form decoded messages take), a Tagged
// sample, or a *Registry whose types are all added in their forms. It
// reports an error wrapping ErrInvalidConfig for a nil sample, a pointer
// to a pointer, a named pointer type (type P *Join: it could not be
// received as a P), a type that cannot be serialized (chan, func,
// unsafe.Pointer), an unnamed type without Tagged, an invalid tag, or a
// duplicate type (in either form) or tag.
func NewRegistry(samples ...any) (*Registry, error) {
	r := &Registry{byType: make(map[reflect.Type]*entry), byTag: make(map[string]*entry)}
	for _, s := range samples {
		if sub, ok := s.(*Registry); ok && sub != nil {
			for _, e := range sub.order {
				if err := r.add(e.tag, e.typ, e.ptr); err != nil {
					return nil, err
				}
			}
			continue
		}
		tag, explicit := "", false
		if t, ok := s.(tagged); ok {
			tag, s, explicit = t.tag, t.sample, true
		}
		typ, ptr, err := sampleType(s)
		if err != nil {
			return nil, err
		}
		if !explicit {
			if tag = typ.Name(); tag == "" {
				return nil, configError("registry: type %v has no name: register it with Tagged", typ)
			}
		}
		if err := r.add(tag, typ, ptr); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// MustRegistry is NewRegistry panicking on error: the X form of the
// package's constructor rule, named MustRegistry because Registry names the
// type.
func MustRegistry(samples ...any) *Registry { return must(NewRegistry(samples...)) }

// orEmpty returns r, or a Registry of no types if r is nil.
func orEmpty(r *Registry) *Registry {
	if r == nil {
		return MustRegistry()
	}
	return r
}

// sampleType returns the type a sample registers and whether it registers
// the pointer form.
func sampleType(s any) (t reflect.Type, ptr bool, err error) {
	t = reflect.TypeOf(s)
	if t == nil {
		return nil, false, configError("registry: nil sample")
	}
	if t.Kind() == reflect.Pointer {
		if t.Name() != "" { // it would decode as *Elem, not as itself
			return nil, false, configError("registry: cannot register the named pointer type %v: register %v{} or &%v{}", t, t.Elem(), t.Elem())
		}
		t, ptr = t.Elem(), true
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Interface:
		return nil, false, configError("registry: cannot register %v", reflect.TypeOf(s))
	}
	return t, ptr, nil
}

// add registers typ under tag, in its pointer form if ptr.
func (r *Registry) add(tag string, typ reflect.Type, ptr bool) error {
	switch {
	case tag == "" || len(tag) > MaxTagLen || !utf8.ValidString(tag):
		return configError("registry: tag %q for %v: want 1 to %d bytes of UTF-8", tag, typ, MaxTagLen)
	case r.byType[typ] != nil:
		return configError("registry: type %v registered twice (register one form: %v{} or &%v{})", typ, typ, typ)
	case r.byTag[tag] != nil:
		return configError("registry: tag %q used by %v and %v: register one with Tagged", tag, r.byTag[tag].typ, typ)
	}
	e := &entry{typ: typ, ptr: ptr, tag: tag, mpHead: appendMsgpackHead(nil, tag)}
	if !ptr {
		e.scratch.New = func() any { return reflect.New(typ).Interface() }
	}
	q, err := json.Marshal(tag)
	if err != nil { // cannot happen for a valid UTF-8 string
		return configError("registry: tag %q: %v", tag, err)
	}
	e.jsonPre = append(append([]byte(`{"type":`), q...), `,"data":`...)
	r.byType[typ] = e
	r.byTag[tag] = e
	r.order = append(r.order, e)
	return nil
}

// lookup returns the entry for msg's dynamic type (a registered type or a
// pointer to one), or nil.
func (r *Registry) lookup(msg any) *entry {
	t := reflect.TypeOf(msg)
	if t == nil {
		return nil
	}
	if e := r.byType[t]; e != nil {
		return e
	}
	if t.Kind() == reflect.Pointer {
		return r.byType[t.Elem()]
	}
	return nil
}

// Tag returns the tag of msg's type (a registered type or a pointer to
// one) and whether it is registered. Safe for concurrent use.
func (r *Registry) Tag(msg any) (string, bool) {
	if e := r.lookup(msg); e != nil {
		return e.tag, true
	}
	return "", false
}

// Tags returns the registered tags in registration order. Safe for
// concurrent use.
func (r *Registry) Tags() []string {
	tags := make([]string, len(r.order))
	for i, e := range r.order {
		tags[i] = e.tag
	}
	return tags
}

// isNilPointer reports whether msg is a nil pointer, which has no body to
// encode.
func isNilPointer(msg any) bool {
	v := reflect.ValueOf(msg)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// newRegistered builds the codec of a registry-based serializer: f frames,
// mk makes the serializer of the Registry made from samples. name prefixes
// configuration errors.
func newRegistered(name string, f Framer, samples []any, mk func(*Registry) Serializer) (Codec, error) {
	if f == nil {
		return nil, configError(name + ": nil Framer")
	}
	r, err := NewRegistry(samples...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pair{f, mk(r)}, nil
}
