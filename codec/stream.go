package codec

import "time"

// Text is a payload that is text, not binary: what a connection whose
// protocol tells the two apart (WebSocket) delivers for a text message when
// its codec passes payloads through raw, and what a handler writes to send a
// text message. Codecs without that distinction treat it as []byte.
type Text []byte

// StreamCodec is a Codec whose connections each keep protocol state: a
// handshake before the first message, control messages answered by the
// protocol itself, per-connection options such as compression (WebSocket).
//
// A connection served by a StreamCodec is decoded and framed through its own
// Stream. The embedded Serializer turns message payloads into values and
// back, as for any Codec; AppendShared frames a payload the way every
// Stream of a given framing class (Stream.Shared) would, so one encoding can
// be written to many connections (a broadcast). The embedded Framer's Append
// frames like class 0.
type StreamCodec interface {
	Codec
	// NewStream returns the state of one new connection. client is true for
	// a connection this process dialled, and target is then the address it
	// was asked to dial (for WebSocket, the ws:// URL: its host and path go
	// into the handshake). For an accepted connection target is the peer's
	// address (host:port, or a socket path), "" if unknown.
	NewStream(client bool, target string) Stream
	// AppendShared frames payload, the encoding of msg (or msg itself when
	// it is raw bytes), exactly as every stream whose Shared reports class
	// does. msg decides the kind of frame where the protocol has kinds: a
	// Text or a string is text, a []byte binary, anything else the
	// serializer's kind.
	AppendShared(dst, payload []byte, msg any, class int) ([]byte, error)
	// HandshakeTimeout is how long a connection may take to finish its
	// handshake (EventOpen) before it is closed; 0 means no limit.
	HandshakeTimeout() time.Duration
}

// MaxSharedClass is the largest framing class a Stream may report.
const MaxSharedClass = 3

// EventKind says what Stream.Next found.
type EventKind uint8

const (
	// EventNone: nothing to act on. If n > 0 that many bytes were consumed
	// (a control message, a fragment, part of a handshake) and Next should
	// be called again; if n == 0 more bytes are needed.
	EventNone EventKind = iota
	// EventMessage: Frame is the payload of one complete message, Text says
	// whether it is text. The payload may alias the input (which Next may
	// have modified in place, e.g. unmasked) or the stream's own buffer; it
	// is valid until the next call.
	EventMessage
	// EventReply: Frame holds bytes to write to the peer (a handshake
	// answer, a pong), valid until the next call.
	EventReply
	// EventOpen: the handshake is complete; Info is what it learnt (for
	// WebSocket a *websocket.Upgrade). The connection's handler is opened
	// now, so its first writes follow the handshake answer.
	EventOpen
	// EventClose: the stream is finished. Frame holds last bytes to write
	// (a close frame, an HTTP answer), then the connection closes
	// gracefully with Err as its reason (nil for a clean close by the peer).
	EventClose
)

// Event is what Stream.Next reports; which fields are set depends on Kind.
type Event struct {
	Kind  EventKind
	Text  bool   // EventMessage: a text message
	Frame []byte // EventMessage: the payload; EventReply, EventClose: bytes to write
	Info  any    // EventOpen: what the handshake learnt
	Err   error  // EventClose: why the stream ended; nil for a clean close
}

// Stream is one connection's protocol state, made by StreamCodec.NewStream.
// It is used by one goroutine at a time (the connection's shard) and never
// blocks.
type Stream interface {
	// Next decodes the start of in, the connection's unconsumed inbound
	// bytes, and returns the first thing found and n, the bytes of in it
	// used. It may modify in in place, but only within the n bytes it
	// reports used. It never panics, whatever in holds; a broken stream is
	// reported as EventClose. After EventClose it is not called again.
	Next(in []byte) (ev Event, n int)
	// AppendMessage frames payload, the encoding of msg, for this
	// connection and appends it to dst (msg decides the kind of frame, as for
	// StreamCodec.AppendShared). On error dst is returned with its original
	// length.
	AppendMessage(dst, payload []byte, msg any) ([]byte, error)
	// Hello appends the bytes to write as soon as the connection is open,
	// before anything else (a client handshake request), to dst.
	Hello(dst []byte) []byte
	// Goodbye appends the bytes to write before the connection closes with
	// reason (nil for a clean close), e.g. a close frame whose status code
	// fits reason, to dst. It appends nothing if the protocol already said
	// goodbye or never got far enough to need it.
	Goodbye(dst []byte, reason error) []byte
	// Shared returns the stream's framing class: a class c >= 0 means
	// AppendMessage frames exactly like the StreamCodec's AppendShared with
	// class c, so bytes encoded once for many connections of that class can
	// be written to this one; -1 means it frames for itself alone (a masked
	// client, per-connection state). Classes are small: 0 to
	// MaxSharedClass. Valid after EventOpen.
	Shared() int
	// Release returns what the stream holds to its pools once the
	// connection is finished. The stream is not used after.
	Release()
}

// RawFrames is implemented by codecs that deliver payloads unparsed (as
// []byte, or Text for text messages) rather than through a Serializer; the
// shard then hands frames to the handler without copying them.
type RawFrames interface {
	RawFrames() bool
}

// IsRaw reports whether c delivers payloads unparsed: a *BytesCodec, or a
// codec whose RawFrames reports true.
func IsRaw(c Codec) bool {
	switch v := c.(type) {
	case *BytesCodec:
		return true
	case RawFrames:
		return v.RawFrames()
	}
	return false
}
