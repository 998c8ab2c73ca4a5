// Package codec turns a connection's byte stream into messages and messages
// back into bytes.
//
// It owns two layers. A Framer splits the inbound stream into frames (line,
// delimiter, fixed size, length field, raw chunks) and frames outbound
// payloads. A Serializer turns one frame into a message value and a message
// into payload bytes. A Codec is the pair, and is what a listener is
// configured with, built in one line:
//
//	codec.Msgpack(codec.LengthField(4), Join{}, Say{})
//
// Serializers: BytesCodec passes frames through as []byte; MsgpackSerializer
// and JSONSerializer encode the message types of a Registry, each written
// with a stable tag so decoding yields a value of the registered type (a
// *Join for a registered Join). Their Marshal appends the unframed payload
// to a caller's buffer and allocates nothing for ordinary messages; their
// Unmarshal bounds what a hostile frame can make it allocate, copies
// everything it keeps, and reports an unregistered tag as an
// *UnknownTagError and anything else wrong as a *MalformedError.
//
// Decoders are incremental: Next is given the connection's unconsumed inbound
// bytes and returns the first complete frame, or reports that more bytes are
// needed. It never blocks, never panics on any input, never allocates on the
// success path, and returns frames as subslices of its input (zero copy): a
// frame is valid only until the caller reuses its buffer. A peer cannot make
// the caller buffer more than a framer's MaxFrame plus its framing overhead:
// an oversized frame is reported (*FrameError) as soon as that is certain.
//
// The framers, serializers and registries built here are immutable after
// construction (the serializers' encoder pools aside) and safe for
// concurrent use by any number of goroutines; one value serves every
// connection of a listener. Invalid configurations panic
// at construction (Line, Delimiter, Fixed, LengthField); the NewLine,
// NewDelimiter, NewFixed and NewLengthField variants return the same problem
// as an error wrapping ErrInvalidConfig instead; likewise Msgpack, JSON and
// MustRegistry, with NewMsgpack, NewJSON and NewRegistry.
//
// Protocols whose framing depends on what came before — a handshake,
// control messages answered by the protocol, per-connection compression —
// implement StreamCodec: the runtime gives each connection its own Stream,
// drives it with the connection's bytes and acts on the Events it reports
// (a reply to write, the end of the handshake, a message, the end of the
// stream). Package codec/websocket is one. A Text is a payload that is text
// rather than binary, for protocols that tell them apart.
//
// The package knows nothing of sockets, shards or actors: it sees only byte
// slices.
package codec
