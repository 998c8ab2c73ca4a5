package codec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Message types of the serializer tests.
type (
	Join struct{ Room, Who string }
	Say  struct {
		Room string `json:"room"`
		Text string `json:"text"`
	}
	Said struct {
		From string
		Text string
		At   int64
	}
	Inner struct {
		X int
		Y string
	}
	Nested struct {
		ID     uint64
		Tags   []string
		Scores map[string]int
		Blob   []byte
		Inner  Inner
		Ptr    *Inner
		List   []Inner
		Ratio  float64
		OK     bool
		Skip   string `json:"-"`
	}
	Ping  struct{}
	Names []string
)

func TestRegistry(t *testing.T) {
	type Join struct{ A int } // same name as the package-level Join
	cases := []struct {
		name    string
		samples []any
		tags    []string // want, on success
		bad     string   // substring of the error, "" for success
	}{
		{name: "values", samples: []any{Join{}, Say{}}, tags: []string{"Join", "Say"}},
		{name: "pointers", samples: []any{&Ping{}, (*Said)(nil)}, tags: []string{"Ping", "Said"}},
		{name: "named slice", samples: []any{Names{}}, tags: []string{"Names"}},
		{name: "tagged", samples: []any{Tagged("j", Join{}), Tagged("ints", []int{})}, tags: []string{"j", "ints"}},
		{name: "registry", samples: []any{MustRegistry(Say{}, Tagged("p", Ping{})), Said{}}, tags: []string{"Say", "p", "Said"}},
		{name: "none", samples: nil, tags: []string{}},
		{name: "nil sample", samples: []any{nil}, bad: "nil sample"},
		{name: "nil tagged", samples: []any{Tagged("x", nil)}, bad: "nil sample"},
		{name: "pointer to pointer", samples: []any{new(*Say)}, bad: "cannot register"},
		{name: "chan", samples: []any{Tagged("c", make(chan int))}, bad: "cannot register"},
		{name: "func", samples: []any{Tagged("f", func() {})}, bad: "cannot register"},
		{name: "unnamed", samples: []any{[]int{}}, bad: "has no name"},
		{name: "empty tag", samples: []any{Tagged("", Say{})}, bad: "want 1 to"},
		{name: "long tag", samples: []any{Tagged(strings.Repeat("x", MaxTagLen+1), Say{})}, bad: "want 1 to"},
		{name: "bad utf8 tag", samples: []any{Tagged("\xff", Say{})}, bad: "want 1 to"},
		{name: "same type twice", samples: []any{Say{}, &Say{}}, bad: "registered twice"},
		{name: "same type two tags", samples: []any{Say{}, Tagged("s", Say{})}, bad: "registered twice"},
		{name: "same name", samples: []any{Join{}, MustRegistry(Say{}), joinSample()}, bad: `tag "Join" used by`},
		{name: "same tag", samples: []any{Tagged("x", Say{}), Tagged("x", Ping{})}, bad: `tag "x" used by`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRegistry(tc.samples...)
			if tc.bad != "" {
				if err == nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("err = %v, want ErrInvalidConfig containing %q", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Tags(); !reflect.DeepEqual(got, tc.tags) {
				t.Fatalf("Tags() = %q, want %q", got, tc.tags)
			}
		})
	}
}

// joinSample is the package-level Join, for the duplicate-name case.
func joinSample() any { return Join{} }

func TestRegistryTag(t *testing.T) {
	r := MustRegistry(Say{}, Tagged("join", &Join{}))
	cases := []struct {
		msg any
		tag string
		ok  bool
	}{
		{Say{}, "Say", true},
		{&Say{}, "Say", true},
		{(*Say)(nil), "Say", true},
		{Join{}, "join", true},
		{Ping{}, "", false},
		{nil, "", false},
		{"text", "", false},
		{new(*Say), "", false},
	}
	for _, tc := range cases {
		if tag, ok := r.Tag(tc.msg); tag != tc.tag || ok != tc.ok {
			t.Errorf("Tag(%T) = %q, %v; want %q, %v", tc.msg, tag, ok, tc.tag, tc.ok)
		}
	}
}

func TestMustRegistryPanics(t *testing.T) {
	defer func() {
		if p := recover(); p == nil {
			t.Fatal("no panic")
		} else if err, ok := p.(error); !ok || !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("panic %v, want ErrInvalidConfig", p)
		}
	}()
	MustRegistry(Say{}, Say{})
}

func TestConstructors(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func(Framer, ...any) (Codec, error)
		must func(Framer, ...any) Codec
	}{
		{"Msgpack", NewMsgpack, Msgpack},
		{"JSON", NewJSON, JSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.new(nil, Say{}); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("nil framer: %v", err)
			}
			_, err := tc.new(LengthField(4), Say{}, Say{})
			if !errors.Is(err, ErrInvalidConfig) || !strings.HasPrefix(err.Error(), tc.name+": ") {
				t.Errorf("bad registry: %v", err)
			}
			func() {
				defer func() {
					if p := recover(); p == nil || !strings.Contains(p.(error).Error(), "registered twice") {
						t.Errorf("panic = %v", p)
					}
				}()
				tc.must(LengthField(4), Say{}, Say{})
			}()
			if c := tc.must(LengthField(4), Say{}); c == nil {
				t.Error("nil codec")
			}
		})
	}
}
