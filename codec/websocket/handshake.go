package websocket

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
)

// Shared pieces of the opening handshake (RFC 6455 §4).

// acceptGUID is appended to the client's key to make the accept value.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

var crlfcrlf = []byte("\r\n\r\n")

// handshakeHeaders are the headers the handshake sets itself: Options.Header
// may not override them.
var handshakeHeaders = map[string]bool{
	"Host": true, "Upgrade": true, "Connection": true, "Content-Length": true, "Transfer-Encoding": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Accept": true, "Sec-Websocket-Version": true,
	"Sec-Websocket-Protocol": true, "Sec-Websocket-Extensions": true,
}

// scanHead looks for the end of an HTTP head at the start of in, resuming
// where the previous call stopped (s.wire) since in grows with the same
// start while the stream needs more. It returns the head's length
// (including its blank line), 0 if more bytes are needed, or -1 if the head
// is longer than MaxHeaderBytes.
func (s *stream) scanHead(in []byte) int {
	max := s.c.o.MaxHeaderBytes
	limit := min(len(in), max)
	from := s.wire - 3
	if from < 0 || from > limit {
		from = 0
	}
	if i := bytes.Index(in[from:limit], crlfcrlf); i >= 0 {
		s.wire = 0
		return from + i + len(crlfcrlf)
	}
	if len(in) >= max {
		return -1
	}
	s.wire = limit
	return 0
}

// appendAccept appends the Sec-WebSocket-Accept value for key.
func appendAccept(dst []byte, key string) []byte {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(acceptGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.AppendEncode(dst, h.Sum(sum[:0]))
}

// hasToken reports whether a header named name of h holds token in its
// comma-separated list, ignoring case.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// appendHeaders appends h in wire format, less the handshake's own headers.
func appendHeaders(dst []byte, h http.Header) []byte {
	if len(h) == 0 {
		return dst
	}
	w := appendWriter{b: dst}
	_ = h.WriteSubset(&w, handshakeHeaders)
	return w.b
}
