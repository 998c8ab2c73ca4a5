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
// with a stable tag so decoding yields a value of the registered type.
// Their Marshal appends the unframed payload to a caller's buffer and
// allocates nothing for ordinary messages; their Unmarshal bounds what a
// hostile frame can make it allocate, copies everything it keeps, and
// reports an unregistered tag as an *UnknownTagError and anything else
// wrong as a *MalformedError.
//
// What you register is what you receive. A type's sample says the form its
// messages arrive in: register Join{} and a Join frame decodes to a Join
// value; register &Join{} and it decodes to a *Join. So the receiver's
// switch names what the registration names:
//
//	c := codec.Msgpack(codec.LengthField(4), Join{}, &Say{})
//	...
//	switch m := msg.(type) {
//	case Join: // registered as Join{}
//	case *Say: // registered as &Say{}
//	}
//
// Marshal takes either form of a registered type, whichever was registered.
// Both forms cost at most one allocation per decoded message for the
// message itself (a value is decoded into reused scratch and copied out
// once; a pointer is allocated and decoded into), plus what its fields
// hold. The rule is the
// same wherever a Registry decodes: the codecs of this package, the typed
// codecs of codec/websocket, and the messages that cross a cluster.
//
// Constructors. Every constructor that checks its configuration comes in
// two forms with the same arguments: X panics on a bad configuration — for
// a codec built from constants at start-up, where a mistake is a bug — and
// NewX returns the same kind of value, or an error wrapping
// ErrInvalidConfig, for one built from input:
//
//	framers   Line/NewLine, Delimiter/NewDelimiter, Fixed/NewFixed,
//	          LengthField/NewLengthField, Raw/NewRaw (all return a Framer)
//	codecs    Bytes/NewBytes (a *BytesCodec), Msgpack/NewMsgpack and
//	          JSON/NewJSON (a Codec)
//	registry  MustRegistry/NewRegistry (Registry names the type, hence Must)
//
// New, the general constructor pairing a Framer with your own Serializer,
// has only the error form, as websocket.New has. NewMsgpackSerializer and
// NewJSONSerializer check nothing (their Registry was checked when it was
// built) and return no error. A codec-building constructor takes the wire
// first and what is serialized last: New(framer, serializer), Bytes(framer),
// Msgpack(framer, samples...), as websocket.New(options, serializer) and
// websocket.Msgpack(options, samples...) do.
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
// construction (the serializers' encoder pools and the registries' decode
// scratch aside) and safe for
// concurrent use by any number of goroutines; one value serves every
// connection of a listener.
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
