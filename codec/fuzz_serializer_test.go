package codec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Serializer fuzz targets. On arbitrary frames, Unmarshal must not panic,
// must fail only with ErrMalformed or ErrUnknownTag, must yield a
// registered type in its registered form on success (a value or a non-nil
// pointer), and what it yields must survive Marshal→Unmarshal unchanged. Seeds, hostile ones included (huge declared
// lengths, deep nesting, type confusion), are in testdata/fuzz/<target>.

// fuzzTypes has no float or interface fields, so decoded values compare
// with reflect.DeepEqual (no NaN). Said and Inner are registered as
// pointers, the others as values.
var fuzzTypes = []any{Join{}, Say{}, &Said{}, Ping{}, Names{}, Tagged("inner", &Inner{}), fuzzNested{}}

// fuzzNested is Nested without its float field.
type fuzzNested struct {
	ID     uint64
	Tags   []string
	Scores map[string]int
	Blob   []byte
	Inner  Inner
	Ptr    *Inner
	List   []Inner
	OK     bool
}

func fuzzSerializer(t *testing.T, s Serializer, frame []byte) {
	msg, err := s.Unmarshal(frame)
	if err != nil {
		if msg != nil || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnknownTag)) {
			t.Fatalf("Unmarshal = %v, %v", msg, err)
		}
		if strings.Contains(err.Error(), "decoder panic") { // recovered, but a bug
			t.Fatal(err)
		}
		return
	}
	e := registryOf(s).lookup(msg)
	if e == nil {
		t.Fatalf("Unmarshal yielded %T, not a registered type", msg)
	}
	if v := reflect.ValueOf(msg); e.ptr != (v.Kind() == reflect.Pointer) || e.ptr && v.IsNil() {
		t.Fatalf("Unmarshal yielded %T for %v registered as a pointer: %v", msg, e.typ, e.ptr)
	}
	again, err := s.Marshal(nil, msg)
	if err != nil {
		t.Fatalf("Marshal(%#v) of a decoded message: %v", msg, err)
	}
	back, err := s.Unmarshal(again)
	if err != nil {
		t.Fatalf("Unmarshal(Marshal(%#v)) = %v", msg, err)
	}
	if !reflect.DeepEqual(back, msg) {
		t.Fatalf("round trip changed %#v to %#v", msg, back)
	}
}

func FuzzMsgpackUnmarshal(f *testing.F) {
	s := NewMsgpackSerializer(MustRegistry(fuzzTypes...))
	for _, m := range []any{Say{Room: "r", Text: "t"}, fuzzNested{Tags: []string{"a"}, Scores: map[string]int{"k": -1}, Blob: []byte{1}, Ptr: &Inner{}, List: []Inner{{X: 1}}}} {
		b, _ := s.Marshal(nil, m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, frame []byte) { fuzzSerializer(t, s, frame) })
}

func FuzzJSONUnmarshal(f *testing.F) {
	s := NewJSONSerializer(MustRegistry(fuzzTypes...))
	for _, m := range []any{Say{Room: "r", Text: "t"}, fuzzNested{Tags: []string{"a"}, Scores: map[string]int{"k": -1}, Blob: []byte{1}, Ptr: &Inner{}, List: []Inner{{X: 1}}}} {
		b, _ := s.Marshal(nil, m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, frame []byte) { fuzzSerializer(t, s, frame) })
}
