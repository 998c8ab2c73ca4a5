package codec

import "bytes"

// lineFramer splits on '\n' and strips one '\r' before it.
type lineFramer struct {
	max int // largest frame, excluding the "\n" or "\r\n"
}

// Line returns a framer for '\n'-terminated lines. Next strips the '\n' and
// one optional '\r' before it; Append adds "\n" and rejects a payload that
// contains '\n' or ends in '\r' (ErrDelimiterInPayload). It accepts the
// MaxFrame option (default DefaultMaxLine) and panics on any other or on a
// non-positive MaxFrame.
//
// A peer sending no newline is rejected once MaxFrame+2 bytes are buffered
// (MaxFrame+1 if the last is not '\r'), with a *FrameError whose Got is a
// lower bound.
func Line(opts ...Option) Framer { return must(NewLine(opts...)) }

// NewLine is Line returning configuration errors instead of panicking.
func NewLine(opts ...Option) (Framer, error) {
	c, err := newConfig("Line", DefaultMaxLine, optMax, opts)
	if err != nil {
		return nil, err
	}
	return lineFramer{max: c.max}, nil
}

// Next returns the first line of in. Safe for concurrent use.
func (f lineFramer) Next(in []byte) ([]byte, int, error) { return f.NextFrom(in, 0) }

// NextFrom is Next skipping the first from bytes, known to hold no '\n'
// (see Resumer). Safe for concurrent use.
func (f lineFramer) NextFrom(in []byte, from int) ([]byte, int, error) {
	// A '\n' can end a valid line only at index max+1 or before ("\r\n"
	// after max bytes), so never scan further.
	w := in
	if len(w)-2 > f.max {
		w = w[:f.max+2]
	}
	from = min(max(from, 0), len(w))
	i := bytes.IndexByte(w[from:], '\n')
	if i < 0 {
		return nil, 0, f.noNewline(w)
	}
	i += from
	// fast path: a newline within the limit
	end := i
	if end > 0 && in[end-1] == '\r' {
		end--
	}
	if end > f.max {
		return nil, 0, tooLarge(f.max, end)
	}
	return in[:end:end], i + 1, nil
}

// noNewline decides, for a window w without '\n', whether more bytes could
// still complete a line within the limit (nil) or not (*FrameError).
func (f lineFramer) noNewline(w []byte) error {
	n := len(w)
	if n <= f.max || n == f.max+1 && w[f.max] == '\r' {
		return nil
	}
	if w[n-1] == '\r' {
		n-- // the '\r' may yet turn out to be part of "\r\n"
	}
	return tooLarge(f.max, n)
}

// Append appends payload and "\n" to dst. Safe for concurrent use.
func (f lineFramer) Append(dst, payload []byte) ([]byte, error) {
	if len(payload) > f.max {
		return dst, tooLarge(f.max, len(payload))
	}
	if bytes.IndexByte(payload, '\n') >= 0 || len(payload) > 0 && payload[len(payload)-1] == '\r' {
		return dst, ErrDelimiterInPayload
	}
	dst = append(dst, payload...)
	return append(dst, '\n'), nil
}
