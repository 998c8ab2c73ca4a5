package websocket

import (
	"errors"
	"unicode/utf8"

	"github.com/shoalrt/shoal/codec"
)

// stream states.
const (
	stHandshake uint8 = iota // reading the upgrade request (server) / 101 answer (client)
	stOpening                // server: 101 answer returned; the next Next reports EventOpen
	stOpen                   // frames both ways
	stClosing                // we sent a close frame (Goodbye); reading until the peer's close
	stClosed                 // finished: EventClose returned, or nothing more to send
)

// stream is one connection's protocol state: the codec.Stream NewStream
// returns. It is used by one goroutine at a time (the connection's shard)
// and never blocks. An open stream between messages holds no buffer: the
// fields below are all it costs.
type stream struct {
	c *Codec // 8B — the codec: options and pools; read on every call
	// peer is the client's address on a server stream (what the runtime
	// passed as NewStream's target), for the request's RemoteAddr; dropped
	// once the handshake is done. 16B.
	peer string
	cl   *client  // 8B — client side only (nil on a server): target, key, pong buffer
	up   *Upgrade // 8B — server: set with the 101 answer, handed out by EventOpen
	buf  *[]byte  // 8B — the message being assembled (fragmented or compressed); nil when idle
	// held is the buffer of the message last delivered (EventMessage from
	// buf or inflated), kept until the next call, when it goes back to its
	// pool. 8B.
	held *[]byte
	// wire is, during the handshake, how many bytes of the head were
	// scanned for its end; afterwards, the wire bytes (headers and
	// payloads) of the message being assembled, bounded by
	// options.wireBudget. 8B.
	wire    int
	utf8    int   // 8B — bytes of *buf validated as whole UTF-8 characters (fragmented text)
	state   uint8 // 1B — stHandshake..stClosed
	msgOp   uint8 // 1B — opcode of the message being assembled; 0 when none
	msgZ    bool  // 1B — the message being assembled is compressed (RSV1 on its first frame)
	deflate bool  // 1B — permessage-deflate negotiated
	// ctl holds the close frame this end sends from Next (4 bytes on a
	// server, 8 masked ones on a client). 14B.
	ctl [maxHeaderLen]byte
}

// Next decodes the start of in: see codec.Stream. Not safe for concurrent
// use: one goroutine (the connection's shard) calls it.
func (s *stream) Next(in []byte) (codec.Event, int) {
	if s.held != nil {
		putBuf(s.held)
		s.held = nil
	}
	if s.state == stOpen { // fast path
		return s.nextFrame(in)
	}
	return s.nextSlow(in)
}

// nextSlow is Next in every state but stOpen.
func (s *stream) nextSlow(in []byte) (codec.Event, int) {
	switch s.state {
	case stHandshake:
		if s.cl != nil {
			return s.clientHandshake(in)
		}
		return s.serverHandshake(in)
	case stOpening:
		s.state = stOpen
		up := s.up
		s.up = nil
		return codec.Event{Kind: codec.EventOpen, Info: up}, 0
	case stClosing:
		// We said goodbye: nothing more is delivered or sent; read on until
		// the peer's close frame (which completes our close: a clean end,
		// whatever code it echoes) or a protocol error ends the stream.
		ev, n := s.nextFrame(in)
		switch ev.Kind {
		case codec.EventMessage, codec.EventReply:
			ev = codec.Event{}
		case codec.EventClose:
			ev.Frame = nil
			if ce, ok := ev.Err.(*CloseError); ok && ce.Remote {
				ev.Err = nil
			}
		}
		return ev, n
	}
	return codec.Event{Kind: codec.EventClose, Err: ErrClosed}, 0
}

// AppendMessage frames payload, the encoding of msg, as one frame of this
// connection: masked on a client, compressed when negotiated and payload is
// at least CompressThreshold bytes. A codec.Text or string msg makes a text
// frame, a []byte a binary one, anything else the serializer's kind. It
// fails with ErrNotOpen before the handshake and ErrClosed after a close
// frame. Not safe for concurrent use.
func (s *stream) AppendMessage(dst, payload []byte, msg any) ([]byte, error) {
	if s.state != stOpen && s.state != stOpening {
		if s.state == stHandshake {
			return dst, ErrNotOpen
		}
		return dst, ErrClosed
	}
	return s.c.appendFrame(dst, payload, msg, s.deflate, s.cl != nil)
}

// Goodbye appends a close frame whose code fits reason (see closeCode),
// with the Reason of a *CloseError as its text (see closeText), to dst,
// once: nothing after a close frame was sent or received, and nothing
// before the handshake finished (a server does not answer a request it has
// not finished reading; a client has nothing to say). Not safe for
// concurrent use.
func (s *stream) Goodbye(dst []byte, reason error) []byte {
	switch s.state {
	case stOpen, stOpening:
		s.state = stClosing
		code := closeCode(reason)
		if text := closeText(reason, code); text != "" {
			var p [maxControlPayload]byte
			p[0], p[1] = byte(code>>8), byte(code)
			n := copy(p[2:], text)
			return appendFrame(dst, bitFin|opClose, p[:2+n], s.cl != nil)
		}
		return append(dst, s.closeFrame(code)...)
	case stHandshake:
		s.state = stClosed
	}
	return dst
}

// Shared returns the stream's framing class (see Codec.AppendShared): 0 for
// a server stream without compression, 1 for one with it, -1 for a client
// (its frames are masked with a fresh key each). Not safe for concurrent
// use.
func (s *stream) Shared() int {
	switch {
	case s.cl != nil:
		return -1
	case s.deflate:
		return classCompressed
	}
	return classPlain
}

// Hello appends the client's upgrade request to dst; a server stream (or a
// client whose target is invalid) appends nothing. Not safe for concurrent
// use.
func (s *stream) Hello(dst []byte) []byte {
	if s.cl == nil || s.cl.err != nil || s.state != stHandshake {
		return dst
	}
	return s.cl.appendRequest(dst, &s.c.o)
}

// Release returns the stream's buffers to their pools. The stream is not
// used after. Not safe for concurrent use.
func (s *stream) Release() {
	s.dropMessage()
	if s.held != nil {
		putBuf(s.held)
		s.held = nil
	}
	s.up = nil
	s.state = stClosed
}

// dropMessage forgets the message being assembled.
func (s *stream) dropMessage() {
	if s.buf != nil {
		putBuf(s.buf)
		s.buf = nil
	}
	s.msgOp, s.msgZ, s.wire, s.utf8 = 0, false, 0, 0
}

// fail ends the stream because the peer broke the protocol: EventClose with
// our close frame for code and a *CloseError. n is what Next used of in.
func (s *stream) fail(code int, reason string, n int) (codec.Event, int) {
	s.dropMessage()
	s.state = stClosed
	return codec.Event{Kind: codec.EventClose, Frame: s.closeFrame(code), Err: &CloseError{Code: code, Reason: reason}}, n
}

// closeFrame builds a close frame carrying code (no reason) in s.ctl.
func (s *stream) closeFrame(code int) []byte {
	h, key := putHeader(s.ctl[:], bitFin|opClose, 2, s.cl != nil)
	s.ctl[h], s.ctl[h+1] = byte(code>>8), byte(code)
	if s.cl != nil {
		maskBytes(s.ctl[h:h+2], key)
	}
	return s.ctl[:h+2]
}

// closeText is the reason text Goodbye sends with code: the Reason of a
// *CloseError in reason's chain that gave the code, cut to what fits a
// control frame (123 bytes) at a character boundary; "" if there is none or
// it is not valid UTF-8.
func closeText(reason error, code int) string {
	var ce *CloseError
	if !errors.As(reason, &ce) || ce.Code != code || ce.Reason == "" || !utf8.ValidString(ce.Reason) {
		return ""
	}
	text := ce.Reason
	if max := maxControlPayload - 2; len(text) > max {
		text = text[:max]
		for len(text) > 0 && !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	return text
}

// closeCode is the close code Goodbye sends for reason: 1000 for nil; the
// code of an error whose chain has a CloseCode() int method (a *CloseError,
// the runtime's going-away reasons), or 1011 if that code cannot be sent;
// 1003 for a payload the serializer did not know (codec.ErrUnknownTag),
// 1007 for one it could not decode (codec.ErrMalformed), 1009 for one too
// large (codec.ErrFrameTooLarge); 1011 for anything else.
func closeCode(reason error) int {
	if reason == nil {
		return CloseNormal
	}
	var cc interface{ CloseCode() int }
	if errors.As(reason, &cc) {
		if c := cc.CloseCode(); codeCanBeSent(c) {
			return c
		}
		return CloseInternalError
	}
	switch {
	case errors.Is(reason, codec.ErrUnknownTag):
		return CloseUnsupportedData
	case errors.Is(reason, codec.ErrMalformed):
		return CloseInvalidPayload
	case errors.Is(reason, codec.ErrFrameTooLarge):
		return CloseTooBig
	}
	return CloseInternalError
}
