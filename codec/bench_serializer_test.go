package codec

import (
	"encoding/json"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// Serializer benchmarks. One op = one message: a Say with a 5-byte room
// and a 32-byte text. SetBytes is the encoded size.
//
//	SerializerMarshal/Msgpack            MsgpackSerializer.Marshal of a *Say into a reused dst
//	SerializerMarshal/MsgpackBaseline    msgpack.Marshal of the same struct, no registry
//	SerializerMarshal/JSON               JSONSerializer.Marshal into a reused dst
//	SerializerMarshal/JSONBaseline       encoding/json.Marshal of the same struct
//	SerializerUnmarshal/<same names>     the reverse, each from its own encoding, with
//	                                     Say registered as Say{}: a Say value is received
//	SerializerUnmarshal/<name>Pointer    the same with Say registered as &Say{}: a *Say
//	                                     is received; the baselines decode into a new
//	                                     *Say, as the pointer form does

var benchSay = &Say{Room: "lobby", Text: "0123456789abcdef0123456789abcdef"}

func BenchmarkSerializerMarshal(b *testing.B) {
	mp := NewMsgpackSerializer(MustRegistry(Say{}, Join{}, Said{}))
	js := NewJSONSerializer(MustRegistry(Say{}, Join{}, Said{}))
	cases := []struct {
		name string
		run  func(dst []byte) ([]byte, error)
	}{
		{"Msgpack", func(dst []byte) ([]byte, error) { return mp.Marshal(dst[:0], benchSay) }},
		{"MsgpackBaseline", func([]byte) ([]byte, error) { return msgpack.Marshal(benchSay) }},
		{"JSON", func(dst []byte) ([]byte, error) { return js.Marshal(dst[:0], benchSay) }},
		{"JSONBaseline", func([]byte) ([]byte, error) { return json.Marshal(benchSay) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			dst := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = tc.run(dst); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(dst)))
		})
	}
}

func BenchmarkSerializerUnmarshal(b *testing.B) {
	mp := NewMsgpackSerializer(MustRegistry(Say{}, Join{}, Said{}))
	js := NewJSONSerializer(MustRegistry(Say{}, Join{}, Said{}))
	mpPtr := NewMsgpackSerializer(MustRegistry(&Say{}, Join{}, Said{}))
	jsPtr := NewJSONSerializer(MustRegistry(&Say{}, Join{}, Said{}))
	mpFrame, _ := mp.Marshal(nil, benchSay)
	jsFrame, _ := js.Marshal(nil, benchSay)
	mpPlain, _ := msgpack.Marshal(benchSay)
	jsPlain, _ := json.Marshal(benchSay)
	text := func(m any) string {
		switch m := m.(type) {
		case Say:
			return m.Text
		case *Say:
			return m.Text
		}
		return ""
	}
	cases := []struct {
		name  string
		frame []byte
		run   func(frame []byte) (any, error)
	}{
		{"Msgpack", mpFrame, mp.Unmarshal},
		{"MsgpackPointer", mpFrame, mpPtr.Unmarshal},
		{"MsgpackBaseline", mpPlain, func(f []byte) (any, error) { v := new(Say); return v, msgpack.Unmarshal(f, v) }},
		{"JSON", jsFrame, js.Unmarshal},
		{"JSONPointer", jsFrame, jsPtr.Unmarshal},
		{"JSONBaseline", jsPlain, func(f []byte) (any, error) { v := new(Say); return v, json.Unmarshal(f, v) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.frame)))
			for b.Loop() {
				if m, err := tc.run(tc.frame); err != nil || text(m) != benchSay.Text {
					b.Fatal(m, err)
				}
			}
		})
	}
}
