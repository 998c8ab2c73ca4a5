package codec

// Framer splits a byte stream into frames and frames payloads for writing.
//
// Implementations in this package are immutable and safe for concurrent use;
// one Framer serves every connection of a listener, so an implementation must
// keep no per-stream state.
type Framer interface {
	// Next returns the first complete frame at the start of in (a subslice of
	// in, without framing bytes such as the length header or delimiter) and
	// n, the number of bytes of in it used. n == 0 with a nil error means
	// more bytes are needed. A non-nil error means the stream is broken (the
	// caller closes the connection). Next must not retain in, never panics
	// and never blocks.
	Next(in []byte) (frame []byte, n int, err error)
	// Append appends payload with its framing to dst and returns the
	// extended slice. It must not modify or retain payload. On error dst is
	// returned with its original length.
	Append(dst, payload []byte) ([]byte, error)
}

// Serializer turns frames into messages and messages into bytes.
//
// Implementations must be safe for concurrent use.
type Serializer interface {
	// Unmarshal decodes one frame. frame aliases the connection buffer and is
	// valid only during the call: a message that keeps bytes must copy them.
	Unmarshal(frame []byte) (any, error)
	// Marshal appends the encoding of msg to dst and returns the extended
	// slice.
	Marshal(dst []byte, msg any) ([]byte, error)
}

// Codec is a framer plus a serializer: what a listener is configured with.
type Codec interface {
	Framer
	Serializer
}

// Resumer is implemented by framers that can skip bytes already scanned: the
// Line and Delimiter framers. A caller that got "need more" from Next(in)
// may call NextFrom(in2, len(in)) once in2 extends in (same start, more bytes
// appended) to avoid rescanning the old bytes. NextFrom(in, 0) is Next(in). A
// wrong from cannot make it panic or read outside in, but may make it miss a
// delimiter in the skipped bytes.
type Resumer interface {
	NextFrom(in []byte, from int) (frame []byte, n int, err error)
}

// pair is the Codec New returns.
type pair struct {
	Framer
	Serializer
}

// New returns the Codec that frames with f and serializes with s, your own
// Serializer for a wire format this package does not have. A nil f or s is
// an error wrapping ErrInvalidConfig. New, like websocket.New, is the
// general constructor: it has only this error-returning form (the
// panicking forms are the named codecs, Bytes, Msgpack and JSON).
func New(f Framer, s Serializer) (Codec, error) {
	switch {
	case f == nil:
		return nil, configError("New: nil Framer")
	case s == nil:
		return nil, configError("New: nil Serializer")
	}
	return pair{f, s}, nil
}
