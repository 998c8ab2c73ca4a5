package codec

import "bytes"

// delimFramer splits on an arbitrary non-empty byte sequence.
type delimFramer struct {
	delim []byte // the delimiter; private copy, never modified
	max   int    // largest frame, excluding the delimiter
}

// Delimiter returns a framer for frames terminated by delim, any non-empty
// byte sequence (copied). Next returns the bytes before the first
// occurrence of delim; Append adds delim and rejects a payload that would
// not read back as one frame (ErrDelimiterInPayload): one that contains
// delim or ends in a way that forms it earlier together with the appended
// delimiter. It accepts the MaxFrame option (default DefaultMaxFrame) and
// panics on any other, on a non-positive MaxFrame or on an empty delim.
//
// A peer sending no delimiter is rejected as soon as more than MaxFrame
// bytes are buffered and their tail cannot begin a delimiter that ends a
// frame within the limit (at most MaxFrame+len(delim) bytes), with a
// *FrameError whose Got (MaxFrame+1) is a lower bound.
func Delimiter(delim []byte, opts ...Option) Framer { return must(NewDelimiter(delim, opts...)) }

// NewDelimiter is Delimiter returning configuration errors instead of
// panicking.
func NewDelimiter(delim []byte, opts ...Option) (Framer, error) {
	c, err := newConfig("Delimiter", DefaultMaxFrame, optMax, opts)
	if err != nil {
		return nil, err
	}
	if len(delim) == 0 {
		return nil, configError("Delimiter: empty delimiter")
	}
	return delimFramer{delim: bytes.Clone(delim), max: c.max}, nil
}

// Next returns the bytes of in before the first delimiter. Safe for
// concurrent use.
func (f delimFramer) Next(in []byte) ([]byte, int, error) { return f.NextFrom(in, 0) }

// NextFrom is Next skipping the first from bytes, known to hold no complete
// delimiter (see Resumer). Safe for concurrent use.
func (f delimFramer) NextFrom(in []byte, from int) ([]byte, int, error) {
	d := len(f.delim)
	// A delimiter can end a valid frame only if it starts at index max or
	// before, so never scan past max+d bytes.
	w := in
	if len(w)-d > f.max {
		w = w[:f.max+d]
	}
	// The old bytes hold no whole delimiter, but their last d-1 may begin one.
	from = min(max(from-d+1, 0), len(w))
	var i int
	if d == 1 {
		i = bytes.IndexByte(w[from:], f.delim[0])
	} else {
		i = bytes.Index(w[from:], f.delim)
	}
	if i < 0 {
		return nil, 0, f.noDelimiter(w)
	}
	// fast path: the window guarantees i <= max
	i += from
	return in[:i:i], i + d, nil
}

// noDelimiter decides, for a window w without a whole delimiter, whether
// more bytes could still complete a frame within the limit (nil) or not
// (*FrameError). Past max bytes, only a delimiter that starts at index max
// or before, and so has already begun in the tail of w, can.
func (f delimFramer) noDelimiter(w []byte) error {
	if len(w) <= f.max {
		return nil
	}
	for p := max(len(w)-len(f.delim)+1, 0); p <= f.max; p++ {
		if bytes.HasPrefix(f.delim, w[p:]) {
			return nil
		}
	}
	return tooLarge(f.max, f.max+1)
}

// Append appends payload and the delimiter to dst. Safe for concurrent use.
func (f delimFramer) Append(dst, payload []byte) ([]byte, error) {
	if len(payload) > f.max {
		return dst, tooLarge(f.max, len(payload))
	}
	start := len(dst)
	dst = append(dst, payload...)
	dst = append(dst, f.delim...)
	var i int
	if len(f.delim) == 1 {
		i = bytes.IndexByte(dst[start:], f.delim[0])
	} else {
		i = bytes.Index(dst[start:], f.delim)
	}
	if i != len(payload) {
		return dst[:start], ErrDelimiterInPayload
	}
	return dst, nil
}
