package websocket

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/shoalrt/shoal/codec"
)

// The server side of the opening handshake. The request head is collected
// incrementally and parsed with net/http once complete; bytes after it are
// frames and stay in the input.

// serverHandshake is Next before the upgrade request has been answered.
func (s *stream) serverHandshake(in []byte) (codec.Event, int) {
	end := s.scanHead(in)
	switch {
	case end < 0:
		return s.refuse(http.StatusRequestHeaderFieldsTooLarge, "request head larger than MaxHeaderBytes", "")
	case end == 0:
		return codec.Event{}, 0
	}
	req, err := http.ReadRequest(bufio.NewReaderSize(bytes.NewReader(in[:end]), end))
	if err != nil {
		return s.refuse(http.StatusBadRequest, "malformed request: "+err.Error(), "")
	}
	req.Body = http.NoBody
	req.RemoteAddr, s.peer = s.peer, ""
	o := &s.c.o
	if len(req.Header.Values("Upgrade")) == 0 {
		if o.HTTP != nil {
			return s.serveHTTP(req, end)
		}
		return s.refuse(http.StatusUpgradeRequired, "this endpoint serves WebSocket upgrades only",
			"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n")
	}
	if o.Path != "" && req.URL.Path != o.Path {
		if o.HTTP != nil {
			return s.serveHTTP(req, end)
		}
		return s.refuse(http.StatusNotFound, "no WebSocket endpoint at "+strconvQuote(req.URL.Path), "")
	}
	if status, reason, extra := checkUpgrade(req); status != 0 {
		return s.refuse(status, reason, extra)
	}
	if o.CheckOrigin != nil {
		ok, perr := callCheckOrigin(o.CheckOrigin, req)
		if perr != "" {
			return s.refuse(http.StatusInternalServerError, perr, "")
		}
		if !ok {
			return s.refuse(http.StatusForbidden, "origin not allowed", "")
		}
	}
	up := &Upgrade{Request: req, Protocol: selectProtocol(o.Protocols, req.Header)}
	up.Compressed = o.Compression && serverAcceptsDeflate(req.Header)
	s.up, s.deflate, s.state = up, up.Compressed, stOpening
	return codec.Event{Kind: codec.EventReply, Frame: appendSwitching(nil, req, up, o.Header)}, end
}

// checkUpgrade validates an upgrade request (RFC 6455 §4.2.1): the status
// and reason to refuse it with, or 0.
func checkUpgrade(req *http.Request) (status int, reason, extra string) {
	switch {
	case req.Method != http.MethodGet:
		return http.StatusBadRequest, "upgrade with method " + strconvQuote(req.Method) + ", not GET", ""
	case !req.ProtoAtLeast(1, 1):
		return http.StatusBadRequest, "upgrade needs HTTP/1.1", ""
	case req.Host == "":
		return http.StatusBadRequest, "no Host header", ""
	case !hasToken(req.Header, "Upgrade", "websocket"):
		return http.StatusBadRequest, "Upgrade header is not websocket", ""
	case !hasToken(req.Header, "Connection", "upgrade"):
		return http.StatusBadRequest, "Connection header lacks upgrade", ""
	}
	if v := req.Header.Values("Sec-Websocket-Version"); len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		return http.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version", "Sec-WebSocket-Version: 13\r\n"
	}
	keys := req.Header.Values("Sec-Websocket-Key")
	if len(keys) != 1 {
		return http.StatusBadRequest, "missing or repeated Sec-WebSocket-Key", ""
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		return http.StatusBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64", ""
	}
	return 0, "", ""
}

// callCheckOrigin runs the application's CheckOrigin, turning a panic into
// a refusal (the event loop must survive it).
func callCheckOrigin(f func(*http.Request) bool, req *http.Request) (ok bool, panicked string) {
	defer func() {
		if p := recover(); p != nil {
			ok, panicked = false, fmt.Sprintf("CheckOrigin panicked: %v", p)
		}
	}()
	return f(req), ""
}

// selectProtocol returns the first of ours the client offered, or "".
func selectProtocol(ours []string, h http.Header) string {
	if len(ours) == 0 {
		return ""
	}
	for _, p := range ours {
		if hasToken(h, "Sec-Websocket-Protocol", p) && p != "" {
			return p
		}
	}
	return ""
}

// appendSwitching appends the 101 answer accepting req.
func appendSwitching(dst []byte, req *http.Request, up *Upgrade, extra http.Header) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	dst = appendAccept(dst, strings.TrimSpace(req.Header.Get("Sec-Websocket-Key")))
	dst = append(dst, "\r\n"...)
	if up.Protocol != "" {
		dst = append(dst, "Sec-WebSocket-Protocol: "...)
		dst = append(dst, up.Protocol...)
		dst = append(dst, "\r\n"...)
	}
	if up.Compressed {
		dst = append(dst, "Sec-WebSocket-Extensions: "+deflateAnswer+"\r\n"...)
	}
	dst = appendHeaders(dst, extra)
	return append(dst, "\r\n"...)
}

// refuse ends a server handshake with an HTTP error answer and a
// *HandshakeError.
func (s *stream) refuse(status int, reason, extra string) (codec.Event, int) {
	s.state = stClosed
	body := reason + "\n"
	answer := fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n%s\r\n%s",
		status, http.StatusText(status), len(body), extra, body)
	return codec.Event{Kind: codec.EventClose, Frame: answer, Err: &HandshakeError{Status: status, Reason: reason}}, 0
}
