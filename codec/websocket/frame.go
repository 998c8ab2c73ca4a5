package websocket

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
)

// Frame layout (RFC 6455 §5.2): byte 0 is FIN, RSV1–3 and the opcode; byte 1
// is the MASK bit and a 7-bit length, where 126 means a 16-bit length
// follows and 127 a 64-bit one; then, if MASK is set, a 4-byte masking key;
// then the payload.
const (
	bitFin  = 0x80 // byte 0: last frame of a message
	bitRsv1 = 0x40 // byte 0: "compressed" under permessage-deflate
	bitsRsv = 0x70 // byte 0: RSV1..RSV3
	bitMask = 0x80 // byte 1: the payload is masked

	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa

	maxControlPayload = 125 // control frames carry at most this much
	maxHeaderLen      = 14  // 2 + 8-byte length + 4-byte key
)

// headerLen returns the length of a frame header for an n-byte payload.
func headerLen(n int, masked bool) int {
	h := 2
	switch {
	case n > 0xffff:
		h = 10
	case n > maxControlPayload:
		h = 4
	}
	if masked {
		h += 4
	}
	return h
}

// putHeader writes the header of a frame with first byte b0 and an n-byte
// payload at the start of b (at least maxHeaderLen long) and returns its
// length and the masking key, a fresh random one if masked (0 otherwise).
func putHeader(b []byte, b0 byte, n int, masked bool) (int, uint32) {
	_ = b[maxHeaderLen-1]
	b[0] = b0
	var m byte
	if masked {
		m = bitMask
	}
	h := 2
	switch {
	case n <= maxControlPayload:
		b[1] = m | byte(n)
	case n <= 0xffff:
		b[1] = m | 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		h = 4
	default:
		b[1] = m | 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
		h = 10
	}
	if !masked {
		return h, 0
	}
	key := rand.Uint32()
	binary.LittleEndian.PutUint32(b[h:], key)
	return h + 4, key
}

// appendFrame appends one frame with first byte b0 carrying payload to dst,
// masked with a fresh key if masked (client frames). It allocates only to
// grow dst.
func appendFrame(dst []byte, b0 byte, payload []byte, masked bool) []byte {
	start := len(dst)
	dst = slices.Grow(dst, maxHeaderLen+len(payload))
	h, key := putHeader(dst[start:start+maxHeaderLen], b0, len(payload), masked)
	dst = append(dst[:start+h], payload...)
	if masked {
		maskBytes(dst[start+h:], key)
	}
	return dst
}

// maskBytes XORs b with the masking key, whose wire bytes are key in little
// endian order: b[i] ^= wire[i%4]. Masking is its own inverse.
func maskBytes(b []byte, key uint32) {
	k := uint64(key) | uint64(key)<<32
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w := b[i : i+32 : i+32]
		binary.LittleEndian.PutUint64(w[0:], binary.LittleEndian.Uint64(w[0:])^k)
		binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(w[8:])^k)
		binary.LittleEndian.PutUint64(w[16:], binary.LittleEndian.Uint64(w[16:])^k)
		binary.LittleEndian.PutUint64(w[24:], binary.LittleEndian.Uint64(w[24:])^k)
	}
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k)
	}
	for ; i < len(b); i++ {
		b[i] ^= byte(key >> (8 * (i & 3)))
	}
}
