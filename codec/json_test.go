package codec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestJSONWire(t *testing.T) {
	s := NewJSONSerializer(MustRegistry(Say{}, Tagged("join", Join{}), Ping{}))
	cases := []struct {
		name string
		msg  any
		want string
	}{
		{"json tags", Say{Room: "a", Text: "<b>&"}, `{"type":"Say","data":{"room":"a","text":"<b>&"}}`},
		{"tagged", &Join{Who: "x"}, `{"type":"join","data":{"Room":"","Who":"x"}}`},
		{"empty", Ping{}, `{"type":"Ping","data":{}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Marshal(nil, tc.msg)
			if err != nil || string(got) != tc.want {
				t.Fatalf("Marshal = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestJSONUnmarshal(t *testing.T) {
	s := NewJSONSerializer(MustRegistry(testTypes...))
	cases := []struct {
		name  string
		frame string
		want  any   // on success
		err   error // ErrMalformed or ErrUnknownTag
		cause string
	}{
		{name: "data first", frame: `{"data":{"room":"r"},"type":"Say"}`, want: Say{Room: "r"}},
		{name: "spaces", frame: " {\n\"type\" : \"Say\" , \"data\" : {\"text\":\"t\"} }\n", want: Say{Text: "t"}},
		{name: "no data", frame: `{"type":"Said"}`, want: Said{}},
		{name: "null data", frame: `{"type":"Said","data":null}`, want: Said{}},
		{name: "extra keys", frame: `{"type":"Ping","id":3,"data":{"x":1}}`, want: Ping{}},
		{name: "type confusion", frame: `{"type":"Join","data":{"Room":"r","Text":"t"}}`, want: Join{Room: "r"}},
		{name: "escaped key and tag", frame: `{"t\u0079pe":"S\u0061y","data":{"room":"\u00e9"}}`, want: Say{Room: "é"}},
		{name: "duplicate keys", frame: `{"type":"Join","type":"Say","data":{"room":"a"},"data":{"text":"b"}}`, want: Say{Text: "b"}},
		{name: "tricky strings", frame: `{"x":"\"}{,:","data":{"text":"}\"]{,"},"type":"Say","y":[1,{"type":"Join"}]}`, want: Say{Text: "}\"]{,"}},
		{name: "scalars", frame: "{\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null,\"type\":\"Said\",\"data\":{\"At\":7}\t}", want: Said{At: 7}},
		{name: "empty", frame: ``, err: ErrMalformed},
		{name: "spaces only", frame: " \n", err: ErrMalformed},
		{name: "string", frame: `"Say"`, err: ErrMalformed, cause: "not a JSON object"},
		{name: "upper-case key", frame: `{"TYPE":"Say"}`, err: ErrMalformed, cause: `missing "type"`},
		{name: "object type", frame: `{"type":{"a":"Say"}}`, err: ErrMalformed, cause: "not a string"},
		{name: "null type after", frame: `{"type":"Say","type":null}`, err: ErrMalformed, cause: `missing "type"`},
		{name: "array data for struct", frame: `{"type":"Ping","data":[]}`, err: ErrMalformed},
		{name: "not an object", frame: `["Say",{}]`, err: ErrMalformed},
		{name: "no type", frame: `{"data":{}}`, err: ErrMalformed, cause: `missing "type"`},
		{name: "null type", frame: `{"type":null}`, err: ErrMalformed, cause: `missing "type"`},
		{name: "number type", frame: `{"type":1}`, err: ErrMalformed},
		{name: "unknown type", frame: `{"type":"Shout","data":{}}`, err: ErrUnknownTag},
		{name: "empty type", frame: `{"type":""}`, err: ErrUnknownTag},
		{name: "trailing", frame: `{"type":"Ping"} {}`, err: ErrMalformed},
		{name: "truncated", frame: `{"type":"Say","data":{"room":"r"`, err: ErrMalformed},
		{name: "wrong field type", frame: `{"type":"Said","data":{"At":"x"}}`, err: ErrMalformed, cause: `"Said"`},
		{name: "wrong body type", frame: `{"type":"Names","data":{"a":1}}`, err: ErrMalformed},
		{name: "bad base64", frame: `{"type":"Nested","data":{"Blob":"!!"}}`, err: ErrMalformed},
		{name: "deep", frame: `{"type":"Nested","data":{"Tags":` + strings.Repeat("[", 20000) + `}}`, err: ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Unmarshal([]byte(tc.frame))
			if tc.err != nil {
				if got != nil || !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.cause) {
					t.Fatalf("Unmarshal = %v, %v; want %v containing %q", got, err, tc.err, tc.cause)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
	t.Run("unknown tag error", func(t *testing.T) {
		_, err := s.Unmarshal([]byte(`{"type":"Shout"}`))
		var ute *UnknownTagError
		if !errors.As(err, &ute) || ute.Tag != "Shout" || ute.Codec != "json" {
			t.Fatalf("err = %#v", err)
		}
	})
}

func TestJSONTruncated(t *testing.T) {
	s := NewJSONSerializer(MustRegistry(testTypes...))
	frame, err := s.Marshal(nil, Nested{Tags: []string{"a"}, Scores: map[string]int{"b": 300}, Blob: []byte("c"), Ptr: &Inner{X: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(frame) {
		if _, err := s.Unmarshal(frame[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("prefix of %d/%d bytes: %v", n, len(frame), err)
		}
	}
}

// One registry, two wires: the same tags and field names on both.
func TestSharedRegistry(t *testing.T) {
	reg := MustRegistry(Tagged("say", Say{}))
	mp, js := Msgpack(LengthField(4), reg), JSON(Line(), reg)
	in := Say{Room: "r", Text: "t"}
	for _, c := range []Codec{mp, js} {
		b, err := c.Marshal(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "say") || !strings.Contains(string(b), "room") {
			t.Errorf("%q lacks the shared tag or field name", b)
		}
		got, err := c.Unmarshal(b)
		if err != nil || got.(Say) != in {
			t.Errorf("%#v, %v", got, err)
		}
	}
}
