package websocket

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/shoalrt/shoal/codec"
)

// nextFrame decodes one frame at the start of in (an open stream). It acts
// on a frame only once all of it is in in: header checks that need no
// payload (mask bit, reserved bits, opcode, control frame rules, sizes) fail
// the stream as soon as the header shows them; otherwise in is left
// untouched until the frame is complete, then unmasked in place and
// consumed whole.
func (s *stream) nextFrame(in []byte) (codec.Event, int) {
	if len(in) < 2 {
		return codec.Event{}, 0
	}
	b0, b1 := in[0], in[1]
	op := b0 & 0x0f
	masked := b1&bitMask != 0
	if masked == (s.cl != nil) {
		if masked {
			return s.fail(CloseProtocolError, "masked frame from the server", 0)
		}
		return s.fail(CloseProtocolError, "unmasked frame from the client", 0)
	}
	if r := b0 & bitsRsv; r != 0 && (r != bitRsv1 || !s.deflate || op != opText && op != opBinary) {
		return s.fail(CloseProtocolError, "reserved bits set", 0)
	}
	n, h := int(b1&0x7f), 2
	if op >= opClose {
		switch {
		case op > opPong:
			return s.fail(CloseProtocolError, "unknown control opcode", 0)
		case b0&bitFin == 0:
			return s.fail(CloseProtocolError, "fragmented control frame", 0)
		case n > maxControlPayload:
			return s.fail(CloseProtocolError, "control frame longer than 125 bytes", 0)
		}
	} else {
		if op > opBinary {
			return s.fail(CloseProtocolError, "unknown data opcode", 0)
		}
		switch n {
		case 126:
			if len(in) < 4 {
				return codec.Event{}, 0
			}
			n, h = int(binary.BigEndian.Uint16(in[2:])), 4
		case 127:
			if len(in) < 10 {
				return codec.Event{}, 0
			}
			u := binary.BigEndian.Uint64(in[2:])
			if u>>63 != 0 {
				return s.fail(CloseProtocolError, "64-bit length with the high bit set", 0)
			}
			if u > uint64(s.c.o.MaxMessage) {
				return s.fail(CloseTooBig, "message larger than MaxMessage", 0)
			}
			n, h = int(u), 10
		}
		if op == opContinuation {
			if s.msgOp == 0 {
				return s.fail(CloseProtocolError, "continuation frame outside a fragmented message", 0)
			}
		} else if s.msgOp != 0 {
			return s.fail(CloseProtocolError, "new message inside a fragmented one", 0)
		}
		total := n
		if s.buf != nil {
			total += len(*s.buf)
		}
		if total > s.c.o.MaxMessage {
			return s.fail(CloseTooBig, "message larger than MaxMessage", 0)
		}
		if s.wire+h+4+n > s.c.o.wireBudget {
			return s.fail(CloseTooBig, "message fragments larger than MaxMessage on the wire", 0)
		}
	}
	if masked {
		h += 4
	}
	end := h + n
	if len(in) < end {
		return codec.Event{}, 0
	}
	p := in[h:end:end]
	if masked {
		maskBytes(p, binary.LittleEndian.Uint32(in[h-4:]))
	}
	switch op {
	case opText, opBinary:
		if b0&(bitFin|bitRsv1) == bitFin { // fast path: one whole frame, delivered in place
			if op == opText && !utf8.Valid(p) {
				return s.fail(CloseInvalidPayload, "text message is not UTF-8", end)
			}
			return codec.Event{Kind: codec.EventMessage, Text: op == opText, Frame: p}, end
		}
		return s.startMessage(p, op, b0, end)
	case opContinuation:
		return s.continueMessage(p, b0&bitFin != 0, end)
	case opPing:
		return s.pong(in, h, p, end)
	case opPong:
		return codec.Event{}, end
	}
	return s.peerClose(p, end)
}

// startMessage begins a message with its first frame, p: a fragment, or a
// whole compressed message.
func (s *stream) startMessage(p []byte, op, b0 byte, end int) (codec.Event, int) {
	s.msgOp, s.msgZ = op, b0&bitRsv1 != 0
	if b0&bitFin != 0 { // compressed, unfragmented: inflate straight from in
		return s.deliver(p, end)
	}
	s.wire = end
	s.buf = getBuf(len(p))
	return s.addFragment(p, false, end)
}

// continueMessage adds a continuation frame's payload p to the message.
func (s *stream) continueMessage(p []byte, fin bool, end int) (codec.Event, int) {
	s.wire += end
	s.buf = growBuf(s.buf, len(*s.buf)+len(p))
	return s.addFragment(p, fin, end)
}

// addFragment appends p to the message buffer, validating text as it comes,
// and delivers the message after its last fragment.
func (s *stream) addFragment(p []byte, fin bool, end int) (codec.Event, int) {
	*s.buf = append(*s.buf, p...)
	if s.msgOp == opText && !s.msgZ {
		k, ok := utf8Prefix((*s.buf)[s.utf8:])
		if !ok {
			return s.fail(CloseInvalidPayload, "text message is not UTF-8", end)
		}
		s.utf8 += k
	}
	if !fin {
		return codec.Event{}, end
	}
	if s.msgOp == opText && !s.msgZ && s.utf8 != len(*s.buf) {
		return s.fail(CloseInvalidPayload, "text message ends inside a UTF-8 character", end)
	}
	buf := s.buf
	s.buf = nil
	ev, n := s.deliver(*buf, end)
	if ev.Kind == codec.EventMessage && s.held == nil {
		s.held = buf // delivered from buf itself
	} else {
		putBuf(buf)
	}
	return ev, n
}

// deliver reports the complete message p (inflating it if compressed) and
// resets the message state. A buffer inflated into becomes s.held.
func (s *stream) deliver(p []byte, end int) (codec.Event, int) {
	text, z := s.msgOp == opText, s.msgZ
	s.msgOp, s.msgZ, s.wire, s.utf8 = 0, false, 0, 0
	if z {
		out, err := s.c.z.inflate(p, s.c.o.MaxMessage)
		switch {
		case err == errTooBig:
			return s.fail(CloseTooBig, "inflated message larger than MaxMessage", end)
		case err != nil:
			return s.fail(CloseInvalidPayload, "compressed message does not inflate: "+err.Error(), end)
		}
		s.held, p = out, *out
		if text && !utf8.Valid(p) {
			return s.fail(CloseInvalidPayload, "text message is not UTF-8", end)
		}
	}
	return codec.Event{Kind: codec.EventMessage, Text: text, Frame: p}, end
}

// pong answers a ping whose payload p ends at in[end]: on a server in place,
// over the ping's own header (a masked ping's header is 6 bytes, a pong's
// 2); on a client in its pong buffer, masked.
func (s *stream) pong(in []byte, h int, p []byte, end int) (codec.Event, int) {
	if s.cl == nil {
		in[h-2], in[h-1] = bitFin|opPong, byte(len(p))
		return codec.Event{Kind: codec.EventReply, Frame: in[h-2 : end : end]}, end
	}
	b := s.cl.pong[:]
	ph, key := putHeader(b, bitFin|opPong, len(p), true)
	copy(b[ph:], p)
	maskBytes(b[ph:ph+len(p)], key)
	return codec.Event{Kind: codec.EventReply, Frame: b[:ph+len(p)]}, end
}

// peerClose ends the stream on the peer's close frame with payload p: we
// echo its code (1000 if it sent none). A clean code (1000, 1001, none)
// ends with a nil error, another with a *CloseError marked Remote.
func (s *stream) peerClose(p []byte, end int) (codec.Event, int) {
	code := CloseNoStatus
	switch {
	case len(p) == 1:
		return s.fail(CloseProtocolError, "close frame with a 1-byte payload", end)
	case len(p) >= 2:
		code = int(binary.BigEndian.Uint16(p))
		if !codeCanBeSent(code) {
			return s.fail(CloseProtocolError, "invalid close code", end)
		}
		if !utf8.Valid(p[2:]) {
			return s.fail(CloseInvalidPayload, "close reason is not UTF-8", end)
		}
	}
	var err error
	if code != CloseNormal && code != CloseGoingAway && code != CloseNoStatus {
		err = &CloseError{Code: code, Reason: string(p[2:]), Remote: true}
	}
	echo := code
	if code == CloseNoStatus {
		echo = CloseNormal
	}
	s.dropMessage()
	s.state = stClosed
	return codec.Event{Kind: codec.EventClose, Frame: s.closeFrame(echo), Err: err}, end
}
