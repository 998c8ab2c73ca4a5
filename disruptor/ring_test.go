package disruptor

import (
	"errors"
	"testing"
	"unsafe"
)

func TestRingSize(t *testing.T) {
	tests := []struct {
		size int
		ok   bool
	}{
		{size: -4}, {size: 0}, {size: 1, ok: true}, {size: 2, ok: true}, {size: 3},
		{size: 6}, {size: 64, ok: true}, {size: 100}, {size: 1 << 16, ok: true},
	}
	for _, tt := range tests {
		r, err := NewRing[int](tt.size)
		if tt.ok != (err == nil) {
			t.Errorf("NewRing(%d) error = %v, want ok=%v", tt.size, err, tt.ok)
			continue
		}
		if !tt.ok {
			if !errors.Is(err, ErrSize) {
				t.Errorf("NewRing(%d) error = %v, want ErrSize", tt.size, err)
			}
			for name, ctor := range map[string]func(){
				"single": func() { NewSingleWriter(tt.size, NewSequence(-1), nil) },
				"shared": func() { NewSharedWriter(tt.size, NewSequence(-1), nil) },
			} {
				if p := catch(ctor); p != ErrSize {
					t.Errorf("%s writer of size %d panicked with %v, want ErrSize", name, tt.size, p)
				}
			}
			continue
		}
		if r.Size() != tt.size {
			t.Errorf("Size = %d, want %d", r.Size(), tt.size)
		}
		if r.Slot(0) != r.Slot(int64(tt.size)) || r.Slot(int64(tt.size)-1) != r.Slot(-1) {
			t.Errorf("size %d: Slot does not wrap", tt.size)
		}
	}
}

func TestReserveBadBatchPanics(t *testing.T) {
	for name, w := range map[string]Writer{
		"single": NewSingleWriter(8, NewSequence(-1), nil),
		"shared": NewSharedWriter(8, NewSequence(-1), nil),
	} {
		for _, n := range []int64{0, -1, 9} {
			if catch(func() { w.Reserve(n) }) == nil {
				t.Errorf("%s: Reserve(%d) did not panic", name, n)
			}
		}
		if catch(func() { w.TryReserve(0) }) == nil {
			t.Errorf("%s: TryReserve(0) did not panic", name)
		}
	}
}

func TestSequencePadding(t *testing.T) {
	var s Sequence
	if off := unsafe.Offsetof(s.v); off < 120 {
		t.Errorf("value at offset %d, want >= 120", off)
	}
	if after := unsafe.Sizeof(s) - unsafe.Offsetof(s.v) - 8; after < 120 {
		t.Errorf("%d bytes after the value, want >= 120", after)
	}
	if NewSequence(-1).Load() != -1 {
		t.Errorf("NewSequence(-1).Load() != -1")
	}
}

func catch(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}
