package shard

import "unsafe"

// frameBox hands a []byte frame to the handler as an `any` without
// allocating. Converting a slice to an interface copies its header to the heap;
// instead the box keeps one heap slice header per shard and one interface
// value whose data word points at it, and overwrites the header for each
// frame. The value is therefore valid only until the next frame, exactly like
// the bytes it points to, which alias the shard's read buffer.
//
// A handler that lets such a value escape (sends it to another actor) must
// copy it first; aliases tells it whether a value shares the frame's memory.
type frameBox struct {
	hdr *[]byte // the shared slice header the interface points to
	val any     // dynamic type []byte, data word == hdr
}

// eface mirrors the runtime's layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// newFrameBox returns a box whose values have the dynamic type of sample, a
// nil []byte or a nil slice type whose underlying type is []byte.
func newFrameBox(sample any) frameBox {
	hdr := new([]byte)
	val := sample
	(*eface)(unsafe.Pointer(&val)).data = unsafe.Pointer(hdr)
	return frameBox{hdr: hdr, val: val}
}

// set points the box at p and returns it as an interface value.
func (b *frameBox) set(p []byte) any {
	*b.hdr = p
	return b.val
}

// aliases reports whether v, of the box's type, shares memory with the
// current frame: the box itself, the frame, or any part of it.
func (b *frameBox) aliases(v any) bool {
	if v == nil || len(*b.hdr) == 0 || (*eface)(unsafe.Pointer(&v)).typ != (*eface)(unsafe.Pointer(&b.val)).typ {
		return false
	}
	p := *(*[]byte)((*eface)(unsafe.Pointer(&v)).data)
	if len(p) == 0 {
		return false
	}
	frame := *b.hdr
	start := uintptr(unsafe.Pointer(unsafe.SliceData(frame)))
	at := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	return at >= start && at < start+uintptr(cap(frame))
}

// clear drops the reference to the last frame.
func (b *frameBox) clear() { *b.hdr = nil }
