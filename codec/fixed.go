package codec

import "fmt"

// fixedFramer splits the stream into frames of one size.
type fixedFramer struct {
	size int // bytes per frame, 1..max
}

// Fixed returns a framer for frames of exactly size bytes. Next returns the
// next size bytes; Append appends the payload, which must be exactly size
// bytes long (a *FrameError if longer, ErrPayloadSize if shorter). It accepts the MaxFrame option
// (default DefaultMaxFrame), which here only bounds size; it panics on any
// other option, on a non-positive size or on a size above MaxFrame.
func Fixed(size int, opts ...Option) Framer { return must(NewFixed(size, opts...)) }

// NewFixed is Fixed returning configuration errors instead of panicking.
func NewFixed(size int, opts ...Option) (Framer, error) {
	c, err := newConfig("Fixed", DefaultMaxFrame, optMax, opts)
	if err != nil {
		return nil, err
	}
	if size <= 0 || size > c.max {
		return nil, configError("Fixed(%d): size must be in 1..MaxFrame (%d)", size, c.max)
	}
	return fixedFramer{size: size}, nil
}

// Next returns the first size bytes of in. Safe for concurrent use.
func (f fixedFramer) Next(in []byte) ([]byte, int, error) {
	if len(in) < f.size {
		return nil, 0, nil
	}
	return in[:f.size:f.size], f.size, nil
}

// Append appends payload, which must be exactly size bytes, to dst. Safe for
// concurrent use.
func (f fixedFramer) Append(dst, payload []byte) ([]byte, error) {
	if len(payload) > f.size {
		return dst, tooLarge(f.size, len(payload))
	}
	if len(payload) < f.size {
		return dst, fmt.Errorf("%w: %d bytes, want exactly %d", ErrPayloadSize, len(payload), f.size)
	}
	return append(dst, payload...), nil
}
