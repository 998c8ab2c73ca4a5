package codec

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func TestMsgpackWire(t *testing.T) {
	s := NewMsgpackSerializer(MustRegistry(Say{}, Tagged(strings.Repeat("t", 40), Join{}), Said{}))
	cases := []struct {
		name string
		msg  any
		want string
	}{
		// json tags name the fields when there is no msgpack tag.
		{"say", Say{Room: "a", Text: "hi"}, "\x92\xa3Say\x82\xa4room\xa1a\xa4text\xa2hi"},
		{"long tag", Join{}, "\x92\xd9\x28" + strings.Repeat("t", 40) + "\x82\xa4Room\xa0\xa3Who\xa0"},
		{"compact ints", Said{At: 5}, "\x92\xa4Said\x83\xa4From\xa0\xa4Text\xa0\xa2At\x05"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Marshal(nil, tc.msg)
			if err != nil || string(got) != tc.want {
				t.Fatalf("Marshal = %q, %v; want %q", got, err, tc.want)
			}
			// Any msgpack library reads it as [tag, map].
			var generic []any
			if err := msgpack.Unmarshal(got, &generic); err != nil || len(generic) != 2 {
				t.Fatalf("plain msgpack decode: %v, %v", generic, err)
			}
		})
	}
}

// msgpackFrame builds a frame by hand: the envelope head for tag, then body.
func msgpackFrame(tag string, body ...string) []byte {
	return append(appendMsgpackHead(nil, tag), strings.Join(body, "")...)
}

func TestMsgpackUnmarshalErrors(t *testing.T) {
	s := NewMsgpackSerializer(MustRegistry(testTypes...))
	valid, _ := s.Marshal(nil, Said{From: "f", Text: "t", At: 1})
	deep := func(n int) string { return strings.Repeat("\x91", n) + "\xc0" }
	cases := []struct {
		name  string
		frame []byte
		want  error // ErrMalformed or ErrUnknownTag
		cause string
	}{
		{"empty", nil, ErrMalformed, "not a [tag, body]"},
		{"not an array", []byte("\xa3Say"), ErrMalformed, "not a [tag, body]"},
		{"one element", []byte("\x91\xa3Say"), ErrMalformed, "not a [tag, body]"},
		{"three elements", []byte("\x93\xa3Say\x80\x80"), ErrMalformed, "not a [tag, body]"},
		{"int tag", []byte("\x92\x01\x80"), ErrMalformed, "not a [tag, body]"},
		{"bin tag", []byte("\x92\xc4\x03Say\x80"), ErrMalformed, "not a [tag, body]"},
		{"tag past end", []byte("\x92\xa9Say"), ErrMalformed, "not a [tag, body]"},
		{"no body", []byte("\x92\xa3Say"), ErrMalformed, "truncated"},
		{"trailing", append(bytes.Clone(valid), 0xc0), ErrMalformed, "trailing"},
		{"code c1", msgpackFrame("Say", "\xc1"), ErrMalformed, "0xc1"},
		{"unknown tag", msgpackFrame("Shout", "\x80"), ErrUnknownTag, ""},
		{"tag case", msgpackFrame("say", "\x80"), ErrUnknownTag, ""},
		{"too deep", msgpackFrame("Nested", deep(MaxDepth+1)), ErrMalformed, "nested too deeply"},
		{"wrong field type", msgpackFrame("Said", "\x81\xa2At\xa1x"), ErrMalformed, "Said"},
		{"string body for struct", msgpackFrame("Said", "\xa1x"), ErrMalformed, ""},
		{"map key not string", msgpackFrame("Nested", "\x81\xa6Scores\x81\x01\x02"), ErrMalformed, ""},
		{"bad time ext", msgpackFrame("Nested", "\x81\xa2ID\xd4\xff\x00"), ErrMalformed, ""},
		// Huge declared lengths: rejected before the decoder sees them.
		{"huge str", msgpackFrame("Say", "\x81\xa4text\xdb\xff\xff\xff\xff"), ErrMalformed, "truncated"},
		{"huge bin", msgpackFrame("Nested", "\x81\xa4Blob\xc6\xff\xff\xff\xff"), ErrMalformed, "truncated"},
		{"huge array", msgpackFrame("Nested", "\x81\xa4List\xdd\xff\xff\xff\xff"), ErrMalformed, "truncated"},
		{"huge map", msgpackFrame("Nested", "\x81\xa6Scores\xdf\xff\xff\xff\xff"), ErrMalformed, "truncated"},
		{"huge ext", msgpackFrame("Nested", "\xc9\xff\xff\xff\xff\x01"), ErrMalformed, "truncated"},
		{"huge body array", msgpackFrame("Names", "\xdd\xff\xff\xff\xff"), ErrMalformed, "truncated"},
		{"huge envelope", []byte("\xdd\xff\xff\xff\xff"), ErrMalformed, "not a [tag, body]"},
		{"huge tag", []byte("\x92\xdb\xff\xff\xff\xff"), ErrMalformed, "not a [tag, body]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := s.Unmarshal(tc.frame)
			if msg != nil || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.cause) {
				t.Fatalf("Unmarshal = %v, %v; want %v containing %q", msg, err, tc.want, tc.cause)
			}
		})
	}
	t.Run("unknown tag error", func(t *testing.T) {
		_, err := s.Unmarshal(msgpackFrame(strings.Repeat("x", 200), "\xc0"))
		var ute *UnknownTagError
		if !errors.As(err, &ute) || ute.Tag != strings.Repeat("x", maxErrTag) || ute.Codec != "msgpack" {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("depth limit", func(t *testing.T) {
		// MaxDepth levels are fine: the outer envelope does not count.
		type Deep struct{ V any }
		s := NewMsgpackSerializer(MustRegistry(Deep{}))
		body := "\x81\xa1V" + deep(MaxDepth-1)
		if _, err := s.Unmarshal(msgpackFrame("Deep", body)); err != nil {
			t.Fatal(err)
		}
	})
}

// Every proper prefix of a valid frame is malformed (never a panic, never
// a success).
func TestMsgpackTruncated(t *testing.T) {
	s := NewMsgpackSerializer(MustRegistry(testTypes...))
	frame, err := s.Marshal(nil, Nested{Tags: []string{"a"}, Scores: map[string]int{"b": 300}, Blob: []byte("c"), Ptr: &Inner{X: 1 << 40}, Ratio: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(frame) {
		if _, err := s.Unmarshal(frame[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("prefix of %d/%d bytes: %v", n, len(frame), err)
		}
	}
}

// A body of another type decodes field by field into the tagged type:
// matching fields are filled, unknown ones ignored, mismatched ones are
// malformed. It never yields a value of the other type.
func TestMsgpackTypeConfusion(t *testing.T) {
	s := NewMsgpackSerializer(MustRegistry(testTypes...))
	body := func(msg any) string {
		b, err := msgpack.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	got, err := s.Unmarshal(msgpackFrame("Join", body(map[string]any{"Room": "r", "Text": "t"})))
	if err != nil || got.(Join) != (Join{Room: "r"}) {
		t.Fatalf("Join with Say's body: %#v, %v", got, err)
	}
	got, err = s.Unmarshal(msgpackFrame("Nested", body(Join{Room: "r"})))
	if n, ok := got.(*Nested); err != nil || !ok || n.ID != 0 {
		t.Fatalf("Nested with Join's body: %#v, %v", got, err)
	}
	if _, err = s.Unmarshal(msgpackFrame("Said", body(Nested{ID: 1, Tags: []string{"x"}}))); err != nil {
		t.Fatalf("Said with Nested's body: %v", err) // no field in common
	}
	if _, err = s.Unmarshal(msgpackFrame("Names", body(Say{}))); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Names with a struct body: %v", err)
	}
	if _, err = s.Unmarshal(msgpackFrame("Said", body(map[string]any{"At": []int{1}}))); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Said.At given an array: %v", err)
	}
}

// A nil body yields the zero value, so empty messages may be sent as nil.
func TestMsgpackNilBody(t *testing.T) {
	s := NewMsgpackSerializer(MustRegistry(testTypes...))
	got, err := s.Unmarshal(msgpackFrame("Said", "\xc0"))
	if err != nil || got.(Said) != (Said{}) {
		t.Fatalf("%#v, %v", got, err)
	}
}

// A hostile frame of a few bytes must not make the decoder allocate what its
// headers claim. Measured as bytes allocated per Unmarshal.
func TestMsgpackHugeLengthAllocation(t *testing.T) {
	s := NewMsgpackSerializer(MustRegistry(testTypes...))
	frames := [][]byte{
		msgpackFrame("Nested", "\x81\xa4List\xdd\xff\xff\xff\xff"),
		msgpackFrame("Nested", "\x81\xa4Blob\xc6\xff\xff\xff\xff"),
		msgpackFrame("Nested", "\x81\xa4Tags\xdd\x7f\xff\xff\xff\xa0"),
		msgpackFrame("Nested", "\x81\xa6Scores\xdf\x7f\xff\xff\xff"),
		msgpackFrame("Names", "\xdd\x00\x0f\xff\xff\xa0\xa0"),
	}
	for _, f := range frames {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 10 {
			if _, err := s.Unmarshal(f); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%q: %v", f, err)
			}
		}
		runtime.ReadMemStats(&after)
		if perCall := (after.TotalAlloc - before.TotalAlloc) / 10; perCall > 64<<10 {
			t.Errorf("%q: %d bytes allocated per Unmarshal", f, perCall)
		}
	}
}

func TestMsgpackAcceptsOtherHeaders(t *testing.T) {
	// array16 envelope and str16 tag, as another encoder might write them.
	s := NewMsgpackSerializer(MustRegistry(testTypes...))
	frame := []byte("\xdc\x00\x02\xda\x00\x04Said\x81\xa2At\xd3\x00\x00\x00\x00\x00\x00\x00\x07")
	got, err := s.Unmarshal(frame)
	if err != nil || got.(Said).At != 7 {
		t.Fatalf("%#v, %v", got, err)
	}
}
