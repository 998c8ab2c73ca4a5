package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// lengthFramer reads frames announced by a length field, with the settings
// of Netty's LengthFieldBasedFrameDecoder. Immutable after construction.
//
// A frame on the wire is [prefix: offset bytes][length: size bytes][rest];
// it is hdr + value + adjust bytes long in all, and Next returns it without
// its first strip bytes. Valid values are vmin..vmax; both bounds are
// precomputed so Next checks each with one comparison.
type lengthFramer struct {
	size   int    // 1, 2, 4 or 8: bytes of the length field
	offset int    // bytes before the length field
	hdr    int    // offset + size: where the length field ends
	strip  int    // bytes removed from the front of the returned frame
	adjust int64  // added to the value to get the bytes after the field
	vmin   uint64 // smallest valid value: frame not negative, strip within it
	vmax   uint64 // largest valid value: frame within max, value within field
	max    int    // largest frame Next returns (after strip), <= MaxFrame
	little bool   // little-endian length field
}

// LengthField returns a framer for frames announced by a size-byte unsigned
// length field (size 1, 2, 4 or 8), big endian unless LittleEndian is given.
//
// With no options the length is the payload length and Next returns the
// payload without the header. LengthOffset, LengthAdjust and Strip describe
// other layouts, as in Netty's LengthFieldBasedFrameDecoder: the frame
// spans LengthOffset + size + value + LengthAdjust bytes, and Next returns
// it minus its first Strip bytes. MaxFrame (default DefaultMaxFrame) bounds
// the frame as returned; it is lowered to what the field can express.
//
// Next rejects a frame as soon as its header is readable: *FrameError if it
// is too large (a huge 8-byte value included), ErrBadLength if the adjusted
// length is negative or shorter than Strip.
//
// Append is the inverse of Next: Next(Append(nil, p)) returns p. It writes
// Strip bytes, then p, and then fills in the length field; bytes in front
// of p are zero. When the frame includes (part of) the header (Strip below
// LengthOffset + size) the payload must provide those bytes, and the length
// field's bytes in it are overwritten by the length. A payload too short
// for a valid length value (one that does not reach past the field, or
// shorter than a positive LengthAdjust) is ErrPayloadSize.
//
// LengthField panics on an invalid configuration: size not 1, 2, 4 or 8,
// LengthOffset or Strip negative or over 2^30, |LengthAdjust| over 2^30, a
// non-positive MaxFrame, or settings under which no frame is valid.
func LengthField(size int, opts ...Option) Framer { return must(NewLengthField(size, opts...)) }

// NewLengthField is LengthField returning configuration errors instead of
// panicking.
func NewLengthField(size int, opts ...Option) (Framer, error) {
	c, err := newConfig("LengthField", DefaultMaxFrame, optMax|optLittle|optOffset|optAdjust|optStrip, opts)
	if err != nil {
		return nil, err
	}
	switch size {
	case 1, 2, 4, 8:
	default:
		return nil, configError("LengthField(%d): size must be 1, 2, 4 or 8", size)
	}
	if c.offset < 0 || c.offset > maxHeaderSetting {
		return nil, configError("LengthOffset(%d): must be in 0..2^30", c.offset)
	}
	if c.adjust < -maxHeaderSetting || c.adjust > maxHeaderSetting {
		return nil, configError("LengthAdjust(%d): must be in -2^30..2^30", c.adjust)
	}
	hdr := c.offset + size
	if c.set&optStrip == 0 {
		c.strip = hdr
	}
	if c.strip < 0 || c.strip > maxHeaderSetting {
		return nil, configError("Strip(%d): must be in 0..2^30", c.strip)
	}
	f := &lengthFramer{
		size: size, offset: c.offset, hdr: hdr, strip: c.strip,
		adjust: int64(c.adjust), little: c.little,
	}
	// All in int64: each term is below 2^62 or 2^31, so nothing overflows.
	maxFrame := min(int64(c.max), maxFrameSetting)
	h, s, a := int64(hdr), int64(c.strip), int64(c.adjust)
	vmin := max(0, -a, s-h-a)
	vmax := maxFrame + s - h - a
	fieldMax := uint64(math.MaxUint64) >> (64 - 8*size)
	if vmax < vmin || uint64(vmin) > fieldMax {
		return nil, configError("LengthField(%d): no length value gives a valid frame of at most %d bytes", size, c.max)
	}
	f.vmin = uint64(vmin)
	f.vmax = min(uint64(vmax), fieldMax)
	f.max = int(int64(f.vmax) + h + a - s)
	return f, nil
}

// Next returns the first frame of in. Safe for concurrent use.
func (f *lengthFramer) Next(in []byte) ([]byte, int, error) {
	if len(in) < f.hdr {
		return nil, 0, nil
	}
	v := f.read(in[f.offset:f.hdr])
	if v > f.vmax {
		return nil, 0, tooLarge(f.max, f.frameLen(v))
	}
	if v < f.vmin {
		return nil, 0, fmt.Errorf("%w: value %d with LengthAdjust %d and Strip %d", ErrBadLength, v, f.adjust, f.strip)
	}
	// fast path: vmin <= v <= vmax bounds total to 0..MaxFrame+strip.
	total := int64(f.hdr) + int64(v) + f.adjust
	if int64(len(in)) < total {
		return nil, 0, nil
	}
	n := int(total)
	return in[f.strip:n:n], n, nil
}

// Append appends the frame whose Next result is payload to dst. Safe for
// concurrent use.
func (f *lengthFramer) Append(dst, payload []byte) ([]byte, error) {
	if len(payload) > f.max {
		return dst, tooLarge(f.max, len(payload))
	}
	// len(payload) <= max keeps v <= vmax.
	v := int64(f.strip) + int64(len(payload)) - int64(f.hdr) - f.adjust
	if v < int64(f.vmin) {
		return dst, fmt.Errorf("%w: a %d-byte payload gives length value %d, below the minimum %d",
			ErrPayloadSize, len(payload), v, f.vmin)
	}
	start := len(dst)
	dst = slices.Grow(dst, f.strip+len(payload))
	dst = dst[:start+f.strip]
	clear(dst[start:])
	dst = append(dst, payload...)
	f.put(dst[start+f.offset:start+f.hdr], uint64(v))
	return dst, nil
}

// frameLen returns the frame length value v announces, saturated at
// math.MaxInt, for error reports.
func (f *lengthFramer) frameLen(v uint64) int {
	if v > maxFrameSetting {
		return math.MaxInt
	}
	n := int64(v) + int64(f.hdr) + f.adjust - int64(f.strip)
	if n > math.MaxInt {
		return math.MaxInt
	}
	return int(n)
}

// read decodes the length field b (len(b) == size).
func (f *lengthFramer) read(b []byte) uint64 {
	switch {
	case f.size == 1:
		return uint64(b[0])
	case f.size == 2 && f.little:
		return uint64(binary.LittleEndian.Uint16(b))
	case f.size == 2:
		return uint64(binary.BigEndian.Uint16(b))
	case f.size == 4 && f.little:
		return uint64(binary.LittleEndian.Uint32(b))
	case f.size == 4:
		return uint64(binary.BigEndian.Uint32(b))
	case f.little:
		return binary.LittleEndian.Uint64(b)
	default:
		return binary.BigEndian.Uint64(b)
	}
}

// put encodes v into the length field b (len(b) == size, v fits).
func (f *lengthFramer) put(b []byte, v uint64) {
	switch {
	case f.size == 1:
		b[0] = byte(v)
	case f.size == 2 && f.little:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case f.size == 2:
		binary.BigEndian.PutUint16(b, uint16(v))
	case f.size == 4 && f.little:
		binary.LittleEndian.PutUint32(b, uint32(v))
	case f.size == 4:
		binary.BigEndian.PutUint32(b, uint32(v))
	case f.little:
		binary.LittleEndian.PutUint64(b, v)
	default:
		binary.BigEndian.PutUint64(b, v)
	}
}
