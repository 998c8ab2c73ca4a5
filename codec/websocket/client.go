package websocket

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/shoalrt/shoal/codec"
)

// client is the state only a client stream has.
type client struct {
	host string // Host header: the target's host[:port]
	uri  string // request target: the target's path and query ("/" if none)
	key  string // Sec-WebSocket-Key sent, base64 of 16 random bytes
	err  error  // why the target cannot be dialled (ErrBadTarget), or nil
	// pong holds a masked pong (a client answers pings from this buffer:
	// unlike a server's, its pong is longer than the ping it answers).
	pong [6 + maxControlPayload]byte
}

// newClient parses target, a ws:// or wss:// URL (TLS, for wss://, is the
// connection's business, below the codec).
func newClient(target string) *client {
	cl := &client{}
	u, err := url.Parse(target)
	switch {
	case err != nil:
		cl.err = fmt.Errorf("%w: %v", ErrBadTarget, err)
	case u.Scheme != "ws" && u.Scheme != "wss":
		cl.err = fmt.Errorf("%w: %q is not a ws:// or wss:// URL", ErrBadTarget, target)
	case u.Host == "":
		cl.err = fmt.Errorf("%w: %q has no host", ErrBadTarget, target)
	}
	if cl.err != nil {
		return cl
	}
	cl.host, cl.uri = u.Host, u.RequestURI()
	var k [16]byte
	_, _ = rand.Read(k[:]) // never fails (crypto/rand)
	cl.key = base64.StdEncoding.EncodeToString(k[:])
	return cl
}

// appendRequest appends the upgrade request.
func (cl *client) appendRequest(dst []byte, o *options) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, cl.uri...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, cl.host...)
	dst = append(dst, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	dst = append(dst, cl.key...)
	dst = append(dst, "\r\n"...)
	if len(o.Protocols) > 0 {
		dst = append(dst, "Sec-WebSocket-Protocol: "...)
		dst = append(dst, strings.Join(o.Protocols, ", ")...)
		dst = append(dst, "\r\n"...)
	}
	if o.Compression {
		dst = append(dst, "Sec-WebSocket-Extensions: "+deflateOffer+"\r\n"...)
	}
	dst = appendHeaders(dst, o.Header)
	return append(dst, "\r\n"...)
}

// clientHandshake is Next of a client stream before the server's answer.
func (s *stream) clientHandshake(in []byte) (codec.Event, int) {
	if s.cl.err != nil {
		s.state = stClosed
		return codec.Event{Kind: codec.EventClose, Err: s.cl.err}, 0
	}
	end := s.scanHead(in)
	switch {
	case end < 0:
		return s.dialFailed(0, "response head larger than MaxHeaderBytes")
	case end == 0:
		return codec.Event{}, 0
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(bytes.NewReader(in[:end]), end), nil)
	if err != nil {
		return s.dialFailed(0, "malformed response: "+err.Error())
	}
	resp.Body = http.NoBody
	o := &s.c.o
	switch {
	case resp.StatusCode != http.StatusSwitchingProtocols:
		return s.dialFailed(resp.StatusCode, "server did not switch protocols")
	case !hasToken(resp.Header, "Upgrade", "websocket"):
		return s.dialFailed(resp.StatusCode, "Upgrade header is not websocket")
	case !hasToken(resp.Header, "Connection", "upgrade"):
		return s.dialFailed(resp.StatusCode, "Connection header lacks upgrade")
	case resp.Header.Get("Sec-Websocket-Accept") != string(appendAccept(nil, s.cl.key)):
		return s.dialFailed(resp.StatusCode, "wrong Sec-WebSocket-Accept")
	}
	proto := resp.Header.Get("Sec-Websocket-Protocol")
	if proto != "" && !slices.Contains(o.Protocols, proto) {
		return s.dialFailed(resp.StatusCode, "server selected subprotocol "+strconvQuote(proto)+", which was not offered")
	}
	deflate, reason := clientDeflateAnswer(resp.Header, o.Compression)
	if reason != "" {
		return s.dialFailed(resp.StatusCode, reason)
	}
	s.deflate, s.state = deflate, stOpen
	return codec.Event{Kind: codec.EventOpen, Info: &Upgrade{Response: resp, Protocol: proto, Compressed: deflate}}, end
}

// dialFailed ends a client handshake with a *HandshakeError.
func (s *stream) dialFailed(status int, reason string) (codec.Event, int) {
	s.state = stClosed
	return codec.Event{Kind: codec.EventClose, Err: &HandshakeError{Status: status, Reason: reason}}, 0
}
