package codec

import (
	"encoding/binary"
	"errors"
)

// MaxDepth is how deeply arrays and maps may nest in a message body; a
// deeper frame is malformed. It keeps a hostile frame from driving the
// decoder's recursion deep.
const MaxDepth = 64

// Errors the msgpack checker reports, wrapped in a *MalformedError.
var (
	errMpTruncated = errors.New("truncated")
	errMpTrailing  = errors.New("trailing bytes after the message")
	errMpDepth     = errors.New("nested too deeply")
	errMpCode      = errors.New("invalid format code 0xc1")
	errMpEnvelope  = errors.New("not a [tag, body] array")
)

// appendMsgpackHead appends the envelope header for tag: a 2-element array
// and the tag as a msgpack str.
func appendMsgpackHead(dst []byte, tag string) []byte {
	dst = append(dst, 0x92)
	if len(tag) < 32 {
		dst = append(dst, 0xa0|byte(len(tag)))
	} else {
		dst = append(dst, 0xd9, byte(len(tag))) // tags are at most MaxTagLen bytes
	}
	return append(dst, tag...)
}

// msgpackEnvelope checks that frame is exactly one well-formed msgpack
// value, an array [tag, body] with a str tag, and returns the tag's bytes
// and the body's (both subslices of frame). Any array header and str format
// is accepted, not only the ones appendMsgpackHead writes.
func msgpackEnvelope(frame []byte) (tag, body []byte, err error) {
	n, pos, ok := mpArrayLen(frame)
	if !ok || n != 2 {
		return nil, nil, errMpEnvelope
	}
	tag, pos, ok = mpStr(frame, pos)
	if !ok {
		return nil, nil, errMpEnvelope
	}
	body = frame[pos:]
	end, err := mpCheck(body)
	if err != nil {
		return nil, nil, err
	}
	if end != len(body) {
		return nil, nil, errMpTrailing
	}
	return tag, body, nil
}

// mpArrayLen reads an array header at b[0].
func mpArrayLen(b []byte) (n, pos int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	switch c := b[0]; {
	case c&0xf0 == 0x90:
		return int(c & 0x0f), 1, true
	case c == 0xdc && len(b) >= 3:
		return int(binary.BigEndian.Uint16(b[1:])), 3, true
	case c == 0xdd && len(b) >= 5:
		return int(binary.BigEndian.Uint32(b[1:])), 5, true
	}
	return 0, 0, false
}

// mpStr reads a str at b[pos:] and returns its bytes and the position after.
func mpStr(b []byte, pos int) (s []byte, end int, ok bool) {
	if pos >= len(b) {
		return nil, 0, false
	}
	c, rest := b[pos], len(b)-pos
	var n, hdr int
	switch {
	case c&0xe0 == 0xa0:
		n, hdr = int(c&0x1f), 1
	case c == 0xd9 && rest >= 2:
		n, hdr = int(b[pos+1]), 2
	case c == 0xda && rest >= 3:
		n, hdr = int(binary.BigEndian.Uint16(b[pos+1:])), 3
	case c == 0xdb && rest >= 5:
		n, hdr = int(binary.BigEndian.Uint32(b[pos+1:])), 5
	default:
		return nil, 0, false
	}
	if n > rest-hdr {
		return nil, 0, false
	}
	pos += hdr
	return b[pos : pos+n], pos + n, true
}

// mpCheck walks the msgpack value at the start of b without recursion or
// allocation and returns the index just after it. It fails if the value is
// truncated, uses the never-used code 0xc1, nests arrays and maps deeper
// than MaxDepth, or declares more bytes or elements than b holds (every
// element takes at least one byte). A value that passes can therefore not
// make the decoder allocate more than a small multiple of len(b) per element
// of the Go type it decodes into, whatever its headers claim.
func mpCheck(b []byte) (int, error) {
	var stack [MaxDepth]int // values still to read at each open level
	depth, left, pos := 0, 1, 0
	for {
		for left == 0 {
			if depth == 0 {
				return pos, nil
			}
			depth--
			left = stack[depth]
		}
		left--
		if pos >= len(b) {
			return 0, errMpTruncated
		}
		skip, children, err := mpItem(b[pos:])
		if err != nil {
			return 0, err
		}
		pos += skip
		if children == 0 {
			continue
		}
		if depth == MaxDepth {
			return 0, errMpDepth
		}
		if children > len(b)-pos {
			return 0, errMpTruncated
		}
		stack[depth] = left
		depth++
		left = children
	}
}

// mpItem decodes the header of the item at b[0] (len(b) > 0) and returns
// the bytes to skip past it (header plus any payload: all of a scalar, str,
// bin or ext; only the header of an array or map) and, for an array or map,
// the number of values it contains (twice the entries for a map).
func mpItem(b []byte) (skip, children int, err error) {
	c := b[0]
	// hdr is the header size: the code, a length field of lenSize bytes if
	// any, and an ext's type byte. Without a length field the payload after
	// the header is empty, except for fixstr.
	var hdr, lenSize, n int
	container, pairs := false, false
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return 1, 0, nil
	case c <= 0x8f: // fixmap
		return 1, 2 * int(c&0x0f), nil
	case c <= 0x9f: // fixarray
		return 1, int(c & 0x0f), nil
	case c <= 0xbf: // fixstr
		hdr, n = 1, int(c&0x1f)
	case c == 0xc1:
		return 0, 0, errMpCode
	case c == 0xc4 || c == 0xd9: // bin8, str8
		hdr, lenSize = 2, 1
	case c == 0xc5 || c == 0xda: // bin16, str16
		hdr, lenSize = 3, 2
	case c == 0xc6 || c == 0xdb: // bin32, str32
		hdr, lenSize = 5, 4
	case c == 0xc7: // ext8
		hdr, lenSize = 3, 1
	case c == 0xc8: // ext16
		hdr, lenSize = 4, 2
	case c == 0xc9: // ext32
		hdr, lenSize = 6, 4
	case c == 0xcc || c == 0xd0: // uint8, int8
		hdr = 2
	case c == 0xcd || c == 0xd1: // uint16, int16
		hdr = 3
	case c == 0xca || c == 0xce || c == 0xd2: // float32, uint32, int32
		hdr = 5
	case c == 0xcb || c == 0xcf || c == 0xd3: // float64, uint64, int64
		hdr = 9
	case c >= 0xd4 && c <= 0xd8: // fixext 1, 2, 4, 8, 16: type byte, data
		hdr = 2 + 1<<(c-0xd4)
	case c == 0xdc || c == 0xde: // array16, map16
		hdr, lenSize, container, pairs = 3, 2, true, c == 0xde
	default: // 0xdd, 0xdf: array32, map32
		hdr, lenSize, container, pairs = 5, 4, true, c == 0xdf
	}
	if hdr > len(b) {
		return 0, 0, errMpTruncated
	}
	switch lenSize {
	case 1:
		n = int(b[1])
	case 2:
		n = int(binary.BigEndian.Uint16(b[1:]))
	case 4:
		n = int(binary.BigEndian.Uint32(b[1:]))
	}
	switch {
	case pairs:
		return hdr, 2 * n, nil
	case container:
		return hdr, n, nil
	case n > len(b)-hdr:
		return 0, 0, errMpTruncated
	}
	return hdr + n, 0, nil
}
