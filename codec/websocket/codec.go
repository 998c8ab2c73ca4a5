package websocket

import (
	"fmt"
	"reflect"
	"time"

	"github.com/shoalrt/shoal/codec"
)

// Codec is a WebSocket codec: a codec.StreamCodec whose connections each
// get a Stream running the RFC 6455 handshake and framing (and RFC 7692
// compression), and whose payloads are passed through raw (Raw) or
// serialized (JSON, Msgpack, New).
//
// A Codec is immutable after construction and safe for concurrent use: one
// serves every connection of a listener. Its flate writers and readers are
// pooled.
type Codec struct {
	ser  codec.Serializer // nil: raw payloads
	kind byte             // opcode of serialized messages: opText (JSON) or opBinary
	o    options
	z    *deflatePools // nil unless Options.Compression
}

var (
	_ codec.StreamCodec = (*Codec)(nil)
	_ codec.RawFrames   = (*Codec)(nil)
)

// Constructors follow package codec's rule: X panics on a bad
// configuration, NewX returns the same *Codec or an error wrapping
// codec.ErrInvalidConfig. Each takes the Options first, as codec's
// constructors take their Framer first — Options describe the wire, as a
// Framer does — and what is serialized last.

// New returns the codec serializing payloads with s, your own
// codec.Serializer: messages s produces go out as text frames if s is a
// *codec.JSONSerializer or a TextSerializer whose TextFrames is true, else
// as binary frames. Invalid options or a nil s
// (use Raw for raw payloads) are an error wrapping codec.ErrInvalidConfig.
// New, like codec.New, is the general constructor and has only this
// error-returning form.
func New(o Options, s codec.Serializer) (*Codec, error) {
	if s == nil {
		return nil, configError("nil Serializer: use Raw for payloads passed through")
	}
	return newCodec(o, s)
}

// TextSerializer is a codec.Serializer that says its encodings are UTF-8
// text, to be sent as text frames by a codec from New (a browser then
// receives strings, not Blobs): a wrapper around a *codec.JSONSerializer,
// or a text protocol of your own. A text message received is given to
// Unmarshal as a binary one is.
type TextSerializer interface {
	codec.Serializer
	TextFrames() bool
}

// newCodec builds the codec of s, nil for raw payloads.
func newCodec(o Options, s codec.Serializer) (*Codec, error) {
	n, err := normalize(o)
	if err != nil {
		return nil, err
	}
	c := &Codec{ser: s, kind: opBinary, o: n}
	if _, ok := s.(*codec.JSONSerializer); ok {
		c.kind = opText
	}
	if t, ok := s.(TextSerializer); ok && t.TextFrames() {
		c.kind = opText
	}
	if n.Compression {
		c.z = &deflatePools{level: n.CompressionLevel}
	}
	return c, nil
}

// Raw returns the codec that delivers payloads unparsed: a binary message
// as []byte, a text one as codec.Text. It panics on invalid options;
// NewRaw returns the error instead.
func Raw(o Options) *Codec { return must(NewRaw(o)) }

// NewRaw is Raw returning an error wrapping codec.ErrInvalidConfig instead
// of panicking.
func NewRaw(o Options) (*Codec, error) { return newCodec(o, nil) }

// JSON returns the codec whose messages are the types of samples (see
// codec.NewRegistry) in codec's JSON envelope, sent as text frames. A
// message arrives in the form its type was registered in: a Join for
// Join{}, a *Join for &Join{}. It panics on invalid options or samples;
// NewJSON returns the error instead.
func JSON(o Options, samples ...any) *Codec { return must(NewJSON(o, samples...)) }

// NewJSON is JSON returning an error wrapping codec.ErrInvalidConfig
// instead of panicking.
func NewJSON(o Options, samples ...any) (*Codec, error) {
	r, err := codec.NewRegistry(samples...)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	return newCodec(o, codec.NewJSONSerializer(r))
}

// Msgpack returns the codec whose messages are the types of samples in
// codec's msgpack envelope, sent as binary frames. A message arrives in the
// form its type was registered in, as for JSON. It panics on invalid
// options or samples; NewMsgpack returns the error instead.
func Msgpack(o Options, samples ...any) *Codec { return must(NewMsgpack(o, samples...)) }

// NewMsgpack is Msgpack returning an error wrapping codec.ErrInvalidConfig
// instead of panicking.
func NewMsgpack(o Options, samples ...any) (*Codec, error) {
	r, err := codec.NewRegistry(samples...)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	return newCodec(o, codec.NewMsgpackSerializer(r))
}

// must panics with err if it is not nil, and otherwise returns c.
func must(c *Codec, err error) *Codec {
	if err != nil {
		panic(err)
	}
	return c
}

// NewStream returns the protocol state of one new connection: the server
// side of an upgrade if client is false, else the client side dialling
// target, a ws:// or wss:// URL whose host and path go into the handshake
// (for wss:// the connection runs TLS below the codec: actor.Dial does). A
// target this package cannot dial (another scheme, no host) gives a stream whose Hello
// writes nothing and whose first Next reports EventClose with an error
// matching ErrBadTarget. Safe for concurrent use; the stream is not.
func (c *Codec) NewStream(client bool, target string) codec.Stream {
	s := &stream{c: c}
	if client {
		s.cl = newClient(target)
	} else {
		s.peer = target
	}
	return s
}

// HandshakeTimeout returns Options.HandshakeTimeout: 10s by default, 0 for
// none. Safe for concurrent use.
func (c *Codec) HandshakeTimeout() time.Duration { return c.o.handshakeTimeout }

// RawFrames reports whether payloads are passed through unparsed (Raw).
// Safe for concurrent use.
func (c *Codec) RawFrames() bool { return c.ser == nil }

// Framing classes of server streams (Stream.Shared): the frames a server
// writes are the same for every connection of a class, so a broadcast
// frames a message once per class.
const (
	classPlain      = 0 // no compression negotiated
	classCompressed = 1 // permessage-deflate without context takeover
)

// AppendShared appends payload, the encoding of msg, to dst as one
// unmasked frame, as every server stream of the framing class does: class
// 0 plain, class 1 compressed (when payload is at least CompressThreshold
// bytes; with no context takeover the compressed bytes are the same for
// every connection). A codec.Text or string msg makes a text frame, a
// []byte a binary one, a Ping a ping, anything else the serializer's kind.
// Safe for concurrent use.
func (c *Codec) AppendShared(dst, payload []byte, msg any, class int) ([]byte, error) {
	return c.appendFrame(dst, payload, msg, class == classCompressed, false)
}

// appendFrame frames payload, the encoding of msg, as one frame: compressed
// if deflate is on and the payload is long enough (never a ping), masked for
// a client.
func (c *Codec) appendFrame(dst, payload []byte, msg any, deflate, masked bool) ([]byte, error) {
	op := c.opcode(msg)
	if op == opPing && len(payload) > maxControlPayload {
		return dst, ErrPingTooLong
	}
	b0 := bitFin | op
	if deflate && op != opPing && len(payload) >= c.o.CompressThreshold {
		return c.z.appendCompressed(dst, b0|bitRsv1, payload, masked)
	}
	return appendFrame(dst, b0, payload, masked), nil
}

// opcode is the data frame opcode for msg.
func (c *Codec) opcode(msg any) byte {
	switch msg.(type) {
	case codec.Text, string:
		return opText
	case []byte:
		return opBinary
	case Ping:
		return opPing
	}
	return c.kind
}

// Append appends payload as one server frame: text for a JSON codec, binary
// otherwise. Safe for concurrent use.
func (c *Codec) Append(dst, payload []byte) ([]byte, error) {
	return appendFrame(dst, bitFin|c.kind, payload, false), nil
}

// Next always fails with ErrNeedsStream: a WebSocket connection needs
// per-connection state, so the runtime decodes it with the Stream from
// NewStream and never calls Next. Safe for concurrent use.
func (c *Codec) Next(in []byte) ([]byte, int, error) { return nil, 0, ErrNeedsStream }

// Marshal appends the payload of msg to dst: a Ping's own bytes; otherwise
// through the serializer, or for a raw codec msg itself if it is a []byte,
// codec.Text or string (anything else is a *codec.TypeError). Safe for
// concurrent use.
func (c *Codec) Marshal(dst []byte, msg any) ([]byte, error) {
	if p, ok := msg.(Ping); ok {
		if len(p) > maxControlPayload {
			return dst, ErrPingTooLong
		}
		return append(dst, p...), nil
	}
	if c.ser != nil {
		return c.ser.Marshal(dst, msg)
	}
	switch m := msg.(type) {
	case []byte:
		return append(dst, m...), nil
	case codec.Text:
		return append(dst, m...), nil
	case string:
		return append(dst, m...), nil
	}
	return dst, &codec.TypeError{Type: reflect.TypeOf(msg), Codec: "websocket raw"}
}

// Unmarshal decodes one message payload through the serializer; a raw
// codec returns frame itself as a []byte (aliasing it; the runtime instead
// delivers raw payloads without calling Unmarshal, as []byte or
// codec.Text). Safe for concurrent use.
func (c *Codec) Unmarshal(frame []byte) (any, error) {
	if c.ser != nil {
		return c.ser.Unmarshal(frame)
	}
	return frame, nil
}

// Serializer returns the codec's serializer, nil for a raw codec.
func (c *Codec) Serializer() codec.Serializer { return c.ser }
