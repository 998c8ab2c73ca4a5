package codec

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"sync"
	"testing"
)

// Tests shared by the msgpack and JSON serializers.

// testSerializers builds each serializer over the test message types.
var testSerializers = []struct {
	name string
	make func(...any) Serializer
}{
	{"msgpack", func(s ...any) Serializer { return NewMsgpackSerializer(MustRegistry(s...)) }},
	{"json", func(s ...any) Serializer { return NewJSONSerializer(MustRegistry(s...)) }},
}

// testTypes registers some types as values and some as pointers (Nested,
// Inner), to check that each decodes in its own form.
var testTypes = []any{Join{}, Say{}, Said{}, &Nested{}, Ping{}, Names{}, Tagged("inner", &Inner{})}

// registryOf returns the Registry of s, a serializer of this package.
func registryOf(s Serializer) *Registry {
	return s.(interface{ Registry() *Registry }).Registry()
}

// inForm returns msg, a value or pointer of a type registered in r, in the
// form r registered it: what Unmarshal must yield for it.
func inForm(r *Registry, msg any) any {
	e := r.lookup(msg)
	v := reflect.ValueOf(msg)
	switch {
	case e.ptr && v.Kind() != reflect.Pointer:
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		return p.Interface()
	case !e.ptr && v.Kind() == reflect.Pointer:
		return v.Elem().Interface()
	}
	return msg
}

func TestRoundTrip(t *testing.T) {
	full := Nested{
		ID:     math.MaxUint64,
		Tags:   []string{"a", "", "ü"},
		Scores: map[string]int{"x": -1, "y": math.MaxInt64},
		Blob:   []byte{0, 1, 0xff},
		Inner:  Inner{X: math.MinInt64, Y: "in"},
		Ptr:    &Inner{X: 7},
		List:   []Inner{{X: 1}, {Y: "two"}},
		Ratio:  -2.5,
		OK:     true,
	}
	msgs := []struct {
		name string
		msg  any
	}{
		{"value", Join{Room: "lobby", Who: "ann"}},
		{"pointer of a value form", &Say{Room: "lobby", Text: "hi <there> & \"you\""}},
		{"ints", Said{From: "bob", At: -1 << 40}},
		{"value of a pointer form", full},
		{"pointer", &full},
		{"zero nested", Nested{}},
		{"empty struct", Ping{}},
		{"named slice", Names{"x", "y"}},
		{"tagged", Inner{X: 3, Y: "three"}},
		{"long text", Say{Text: string(bytes.Repeat([]byte("é"), 40000))}},
	}
	for _, ser := range testSerializers {
		s := ser.make(testTypes...)
		for _, m := range msgs {
			t.Run(ser.name+"/"+m.name, func(t *testing.T) {
				prefix := []byte("prefix")
				out, err := s.Marshal(prefix, m.msg)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(out, []byte("prefix")) {
					t.Fatalf("Marshal did not append to dst: %q", out)
				}
				got, err := s.Unmarshal(out[len(prefix):])
				if err != nil {
					t.Fatalf("Unmarshal(%q): %v", out[len(prefix):], err)
				}
				if want := inForm(registryOf(s), m.msg); !reflect.DeepEqual(got, want) {
					t.Fatalf("got %#v, want %#v", got, want)
				}
			})
		}
	}
}

func TestMarshalRejects(t *testing.T) {
	msgs := []struct {
		name string
		msg  any
	}{
		{"unregistered", Inner{}},
		{"nil", nil},
		{"nil pointer", (*Say)(nil)},
		{"pointer to pointer", new(*Say)},
		{"string", "text"},
	}
	for _, ser := range testSerializers {
		s := ser.make(Say{}, Join{})
		for _, m := range msgs {
			t.Run(ser.name+"/"+m.name, func(t *testing.T) {
				dst := []byte("keep")
				out, err := s.Marshal(dst, m.msg)
				var te *TypeError
				if !errors.As(err, &te) || !errors.Is(err, ErrUnsupportedType) || te.Codec != ser.name {
					t.Fatalf("err = %v, want *TypeError", err)
				}
				if string(out) != "keep" {
					t.Fatalf("dst changed to %q", out)
				}
			})
		}
	}
}

// An encoder error (here a channel field) leaves dst as it was and does not
// spoil the pooled encoder for the next message.
func TestMarshalEncoderError(t *testing.T) {
	type Bad struct{ C chan int }
	for _, ser := range testSerializers {
		t.Run(ser.name, func(t *testing.T) {
			s := ser.make(Bad{}, Say{})
			dst := make([]byte, 4, 64)
			copy(dst, "keep")
			out, err := s.Marshal(dst, Bad{C: make(chan int)})
			if err == nil || string(out) != "keep" {
				t.Fatalf("Marshal = %q, %v; want dst unchanged and an error", out, err)
			}
			out, err = s.Marshal(out, Say{Text: "ok"})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.Unmarshal(out[4:]); err != nil || got.(Say).Text != "ok" {
				t.Fatalf("after error: %v, %v", got, err)
			}
		})
	}
}

// frame aliases the connection buffer, which the runtime reuses: nothing
// decoded may point into it.
func TestUnmarshalDoesNotAlias(t *testing.T) {
	msg := Nested{Tags: []string{"tag"}, Scores: map[string]int{"key": 1}, Blob: []byte("blob"), Inner: Inner{Y: "why"}, List: []Inner{{Y: "list"}}}
	for _, ser := range testSerializers {
		t.Run(ser.name, func(t *testing.T) {
			s := ser.make(testTypes...)
			frame, err := s.Marshal(nil, msg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Unmarshal(frame)
			if err != nil {
				t.Fatal(err)
			}
			for i := range frame {
				frame[i] = 'Z'
			}
			if !reflect.DeepEqual(got, &msg) { // Nested is registered as &Nested{}
				t.Fatalf("decoded value changed with the frame: %#v", got)
			}
		})
	}
}

func TestSerializersConcurrent(t *testing.T) {
	for _, ser := range testSerializers {
		t.Run(ser.name, func(t *testing.T) {
			s := ser.make(testTypes...)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for g := range 4 {
				wg.Go(func() {
					var buf []byte
					for i := range 500 {
						want := Said{From: "g", Text: string(rune('a' + g)), At: int64(i)}
						var err error
						if buf, err = s.Marshal(buf[:0], want); err != nil {
							errs <- err
							return
						}
						got, err := s.Unmarshal(buf)
						if err != nil {
							errs <- err
							return
						}
						if got.(Said) != want {
							errs <- errors.New("mixed up messages across goroutines")
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		})
	}
}

func TestMarshalZeroAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	msg := &Say{Room: "lobby", Text: "0123456789abcdef0123456789abcdef"}
	for _, ser := range testSerializers {
		t.Run(ser.name, func(t *testing.T) {
			s := ser.make(Say{})
			dst := make([]byte, 0, 256)
			if a := testing.AllocsPerRun(200, func() { dst, _ = s.Marshal(dst[:0], msg) }); a != 0 {
				t.Errorf("Marshal(*Say): %v allocs", a)
			}
			val := *msg
			if a := testing.AllocsPerRun(200, func() { dst, _ = s.Marshal(dst[:0], val) }); a > 1 {
				t.Errorf("Marshal(Say): %v allocs, want at most the boxing of the value", a)
			}
		})
	}
}

// A nil Registry is one of no types: nothing to marshal, every tag unknown.
func TestSerializerOfNilRegistry(t *testing.T) {
	for _, s := range []Serializer{NewMsgpackSerializer(nil), NewJSONSerializer(nil)} {
		if _, err := s.Marshal(nil, Say{}); !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("%T.Marshal: %v", s, err)
		}
		frame, _ := NewMsgpackSerializer(MustRegistry(Say{})).Marshal(nil, Say{})
		if _, ok := s.(*JSONSerializer); ok {
			frame, _ = NewJSONSerializer(MustRegistry(Say{})).Marshal(nil, Say{})
		}
		if _, err := s.Unmarshal(frame); !errors.Is(err, ErrUnknownTag) {
			t.Errorf("%T.Unmarshal: %v", s, err)
		}
		if tags := registryOf(s).Tags(); len(tags) != 0 {
			t.Errorf("%T.Registry().Tags() = %q", s, tags)
		}
	}
}
