package codec

import (
	"errors"
	"reflect"
	"testing"
)

// Types of the "what you register is what you receive" tests.
type (
	// Point's fields need no allocation to decode: Unmarshal's allocations
	// are the message's own.
	Point  struct{ X, Y int64 }
	Scores map[string]int // pointer-shaped: an interface holds the map itself
	Crowd  struct {
		Names  []string
		Scores map[string]int
		Blob   []byte
		Where  *Point
	}
)

func TestRegisteredFormIsReceived(t *testing.T) {
	cases := []struct {
		name   string
		sample any // registers the type
		value  any // a message of the type, as a value
		ptr    bool
	}{
		{name: "value", sample: Point{}, value: Point{X: 1, Y: -2}},
		{name: "pointer", sample: &Point{}, value: Point{X: 3}, ptr: true},
		{name: "nil pointer sample", sample: (*Point)(nil), value: Point{Y: 4}, ptr: true},
		{name: "tagged value", sample: Tagged("p", Point{}), value: Point{X: 5}},
		{name: "tagged pointer", sample: Tagged("p", &Point{}), value: Point{X: 6}, ptr: true},
		{name: "value from a registry", sample: MustRegistry(Point{}), value: Point{X: 7}},
		{name: "pointer from a registry", sample: MustRegistry(&Point{}), value: Point{X: 8}, ptr: true},
		{name: "zero-size value", sample: Ping{}, value: Ping{}},
		{name: "zero-size pointer", sample: &Ping{}, value: Ping{}, ptr: true},
		{name: "map value", sample: Scores{}, value: Scores{"a": 1}},
		{name: "map pointer", sample: &Scores{}, value: Scores{"b": 2}, ptr: true},
		{name: "slice value", sample: Names{}, value: Names{"x", "y"}},
		{name: "slice pointer", sample: &Names{}, value: Names{"z"}, ptr: true},
		{name: "struct of references", sample: Crowd{}, value: Crowd{Names: []string{"n"}, Scores: map[string]int{"s": 1}, Blob: []byte{0}, Where: &Point{X: 9}}},
	}
	for _, ser := range testSerializers {
		for _, tc := range cases {
			t.Run(ser.name+"/"+tc.name, func(t *testing.T) {
				s := ser.make(tc.sample)
				v := reflect.ValueOf(tc.value)
				p := reflect.New(v.Type())
				p.Elem().Set(v)
				want := tc.value
				if tc.ptr {
					want = p.Interface()
				}
				// Either form is accepted for writing; the registered form
				// is what comes back.
				for _, sent := range []any{tc.value, p.Interface()} {
					frame, err := s.Marshal(nil, sent)
					if err != nil {
						t.Fatalf("Marshal(%T): %v", sent, err)
					}
					got, err := s.Unmarshal(frame)
					if err != nil {
						t.Fatalf("Unmarshal: %v", err)
					}
					if reflect.TypeOf(got) != reflect.TypeOf(want) {
						t.Fatalf("sent %T, received %T; registered %T, want %T", sent, got, tc.sample, want)
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("received %#v, want %#v", got, want)
					}
					if tc.ptr && v.Type().Size() > 0 && got == sent { // (pointers to zero-size values may all be equal)
						t.Fatal("received the sent pointer itself")
					}
				}
			})
		}
	}
}

func TestRegistryRefusesNamedPointer(t *testing.T) {
	type PointRef *Point
	for _, sample := range []any{PointRef(nil), Tagged("pr", PointRef(&Point{}))} {
		if _, err := NewRegistry(sample); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewRegistry(%T) = %v, want ErrInvalidConfig", sample, err)
		}
	}
}

// A value form decodes into a reused scratch value. Nothing of one message
// may show up in another: not after a success, not after a failure that
// filled the scratch half-way.
func TestValueFormSharesNothing(t *testing.T) {
	for _, ser := range testSerializers {
		t.Run(ser.name, func(t *testing.T) {
			s := ser.make(Crowd{})
			full := Crowd{Names: []string{"ann", "bob"}, Scores: map[string]int{"ann": 1}, Blob: []byte("blob"), Where: &Point{X: 1}}
			fullFrame, err := s.Marshal(nil, full)
			if err != nil {
				t.Fatal(err)
			}
			emptyFrame, err := s.Marshal(nil, Crowd{})
			if err != nil {
				t.Fatal(err)
			}
			// Names and Scores decode, then Where has the wrong type.
			bad := map[string][]byte{
				"msgpack": msgpackFrame("Crowd", "\x83\xa5Names\x91\xa3eve\xa6Scores\x81\xa3eve\x02\xa5Where\xa1x"),
				"json":    []byte(`{"type":"Crowd","data":{"Names":["eve"],"Scores":{"eve":2},"Where":"x"}}`),
			}[ser.name]

			for range 3 { // the scratch value goes round
				first, err := s.Unmarshal(fullFrame)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Unmarshal(bad); !errors.Is(err, ErrMalformed) {
					t.Fatalf("bad frame: %v", err)
				}
				second, err := s.Unmarshal(emptyFrame)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(second, Crowd{}) {
					t.Fatalf("an empty message arrived as %#v: left over from an earlier one", second)
				}
				third, err := s.Unmarshal(fullFrame)
				if err != nil {
					t.Fatal(err)
				}
				a, b := first.(Crowd), third.(Crowd)
				a.Names[0], a.Scores["ann"], a.Blob[0], a.Where.X = "changed", 99, 'X', 99
				if !reflect.DeepEqual(b, full) {
					t.Fatalf("changing one message changed another: %#v", b)
				}
			}
		})
	}
}

// Receiving a value costs what receiving a pointer does: one allocation for
// the message (Point's fields need none of their own).
func TestUnmarshalAllocsByForm(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	for _, ser := range testSerializers {
		t.Run(ser.name, func(t *testing.T) {
			allocs := func(sample any) float64 {
				s := ser.make(sample)
				frame, err := s.Marshal(nil, Point{X: 1 << 40, Y: -3})
				if err != nil {
					t.Fatal(err)
				}
				return testing.AllocsPerRun(500, func() {
					if _, err := s.Unmarshal(frame); err != nil {
						t.Fatal(err)
					}
				})
			}
			value, pointer := allocs(Point{}), allocs(&Point{})
			t.Logf("allocs per Unmarshal: value form %.1f, pointer form %.1f", value, pointer)
			if value != pointer {
				t.Errorf("value form %.1f allocs, pointer form %.1f: want the same", value, pointer)
			}
			if ser.name == "msgpack" && pointer != 1 {
				t.Errorf("msgpack: %.1f allocs, want 1 (the message)", pointer)
			}
		})
	}
}
