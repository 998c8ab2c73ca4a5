package codec

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// mpCheck accepts exactly one whole value of every msgpack format, as the
// reference encoder writes it, and rejects its proper prefixes.
func TestMsgpackCheck(t *testing.T) {
	long := strings.Repeat("x", 70000)
	values := []struct {
		name string
		v    any
	}{
		{"nil", nil}, {"bools", []bool{true, false}},
		{"fixints", []int{0, 127, -1, -32}},
		{"int8..64", []int64{-100, -30000, -2000000000, -1 << 60}},
		{"uint8..64", []uint64{200, 60000, 4000000000, 1 << 63}},
		{"floats", []any{float32(1.5), 2.5}},
		{"fixstr", "hi"}, {"str8", strings.Repeat("s", 40)}, {"str16", long[:300]}, {"str32", long},
		{"bin8", []byte("b")}, {"bin16", []byte(long[:300])}, {"bin32", []byte(long)},
		{"array16", make([]int, 20)}, {"array32", make([]int8, 70000)},
		{"map16", func() map[int]int {
			m := map[int]int{}
			for i := range 20 {
				m[i] = i
			}
			return m
		}()},
		{"fixext", []time.Time{time.Unix(1, 0), time.Unix(1, 5), time.Unix(1<<40, 5)}}, // fixext4, 8, ext8 (12 bytes)
		{"nested", map[string]any{"a": []any{map[string]any{"b": []byte{1}}, nil, "c"}}},
	}
	for _, tc := range values {
		t.Run(tc.name, func(t *testing.T) {
			b, err := msgpack.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if end, err := mpCheck(b); end != len(b) || err != nil {
				t.Fatalf("mpCheck = %d, %v; want %d", end, err, len(b))
			}
			if end, err := mpCheck(append(bytes.Clone(b), 0xc0)); end != len(b) || err != nil {
				t.Fatalf("with a trailing byte: %d, %v", end, err)
			}
			for n := range len(b) {
				if n > 64 && n < len(b)-64 {
					continue // the headers and the end are what matter
				}
				if _, err := mpCheck(b[:n]); err == nil {
					t.Fatalf("prefix of %d/%d bytes accepted", n, len(b))
				}
			}
		})
	}
	// Formats the encoder above does not write for these values.
	raw := []struct {
		name string
		b    string
	}{
		{"map32", "\xdf\x00\x00\x00\x01\x01\x02"},
		{"ext16", "\xc8\x00\x02\x05ab"},
		{"ext32", "\xc9\x00\x00\x00\x01\x05a"},
		{"fixext1", "\xd4\x05a"}, {"fixext2", "\xd5\x05ab"}, {"fixext16", "\xd8\x05" + strings.Repeat("z", 16)},
	}
	for _, tc := range raw {
		if end, err := mpCheck([]byte(tc.b)); end != len(tc.b) || err != nil {
			t.Errorf("%s: mpCheck = %d, %v; want %d", tc.name, end, err, len(tc.b))
		}
		for n := range len(tc.b) {
			if _, err := mpCheck([]byte(tc.b[:n])); err == nil {
				t.Errorf("%s: prefix of %d bytes accepted", tc.name, n)
			}
		}
	}
}

func TestMsgpackCheckDepth(t *testing.T) {
	ok := strings.Repeat("\x91", MaxDepth) + "\xc0"
	if _, err := mpCheck([]byte(ok)); err != nil {
		t.Fatalf("%d levels: %v", MaxDepth, err)
	}
	if _, err := mpCheck([]byte("\x91" + ok)); err != errMpDepth {
		t.Fatalf("%d levels: %v", MaxDepth+1, err)
	}
	if _, err := mpCheck([]byte(strings.Repeat("\x81\xc0", MaxDepth+1) + "\xc0")); err != errMpDepth {
		t.Fatalf("maps %d deep: %v", MaxDepth+1, err)
	}
}

func TestMsgpackCheckAllocs(t *testing.T) {
	b, _ := msgpack.Marshal(map[string]any{"a": []any{1, "two", []byte{3}, map[string]int{"x": 1}}})
	if a := testing.AllocsPerRun(100, func() { _, _ = mpCheck(b) }); a != 0 {
		t.Errorf("mpCheck: %v allocs", a)
	}
}
