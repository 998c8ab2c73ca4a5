// Package websocket is the WebSocket protocol (RFC 6455) with
// permessage-deflate compression (RFC 7692) as a codec.StreamCodec: each
// connection gets a Stream, an incremental, non-blocking state machine that
// the runtime drives with the connection's inbound bytes and that answers
// with events (a reply to write, the end of the handshake, a message, the
// end of the stream).
//
// It owns the protocol: the opening handshake on both sides (a server
// parses and answers the HTTP upgrade request, optionally serving plain
// HTTP requests on the same port; a client writes the request and checks
// the answer), framing, masking, fragmentation, ping/pong, the close
// handshake and its status codes, UTF-8 validation of text, compression
// negotiation and per-message deflate, and the limits that keep a hostile
// peer from costing more than it sends.
//
// Constructors follow package codec's rule, with the Options first and what
// is serialized last: Raw/NewRaw, JSON/NewJSON and Msgpack/NewMsgpack (X
// panics on a bad configuration, NewX returns an error wrapping
// codec.ErrInvalidConfig), and New(options, serializer), which has only the
// error form. The typed codecs decode as codec's do: what you register is
// what you receive (JSON(o, Join{}) delivers a Join, JSON(o, &Join{}) a
// *Join).
//
// It must not know about sockets, shards, timers or actors: it sees byte
// slices and returns byte slices. Writing, the handshake deadline
// (HandshakeTimeout) and delivering messages are the runtime's.
//
// Limits. MaxMessage bounds a message's payload after decompression; a
// frame header announcing more closes with 1009 before its payload
// arrives, and inflating stops at the limit (a deflate bomb costs at most
// MaxMessage bytes of buffer). Fragments are bounded on the wire too: the
// headers and payloads of one message's frames may total at most
// MaxMessage + MaxMessage/16 + 14 bytes, so a flood of empty fragments
// ends in 1009 after at most about MaxMessage/6 of them instead of never.
// MaxHeaderBytes bounds the handshake head. A frame is acted on only when
// all of it has arrived, so the runtime buffers up to MaxMessage + 14 bytes
// for a connection.
//
// Memory. A single unfragmented, uncompressed message is delivered in
// place: its payload aliases the input, unmasked where it lies. A
// fragmented or compressed message is assembled in a pooled buffer taken
// when it starts and returned after it is delivered; an idle connection
// holds none. Compression uses no context takeover in either direction, so
// flate writers and readers are pooled per Codec and borrowed for one
// message. Decoding a whole masked frame and framing an uncompressed
// message allocate nothing.
package websocket
