package codec

// rawFramer delivers whatever bytes are available as one frame.
type rawFramer struct {
	max int // largest frame; longer input is delivered in pieces of max bytes
}

// Raw returns the framer that treats each chunk of available bytes as one
// frame: Next returns all of in (at most MaxFrame bytes of it, default
// DefaultMaxFrame; more is delivered in pieces) and Append appends the
// payload as is, without a size limit. It never reports an error. It
// accepts only the MaxFrame option and panics on any other or on a
// non-positive MaxFrame; NewRaw returns the error instead. Bytes(Raw()) is
// the codec of a byte stream passed through as it comes.
func Raw(opts ...Option) Framer { return must(NewRaw(opts...)) }

// NewRaw is Raw returning an error wrapping ErrInvalidConfig instead of
// panicking.
func NewRaw(opts ...Option) (Framer, error) {
	c, err := newConfig("Raw", DefaultMaxFrame, optMax, opts)
	if err != nil {
		return nil, err
	}
	return rawFramer{max: c.max}, nil
}

// Next returns in, or its first MaxFrame bytes. Safe for concurrent use.
func (f rawFramer) Next(in []byte) ([]byte, int, error) {
	n := min(len(in), f.max)
	if n == 0 {
		return nil, 0, nil
	}
	return in[:n:n], n, nil
}

// Append appends payload to dst. Safe for concurrent use.
func (f rawFramer) Append(dst, payload []byte) ([]byte, error) {
	return append(dst, payload...), nil
}
