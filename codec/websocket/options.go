package websocket

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/shoalrt/shoal/codec"
)

// Defaults of the Options fields left zero.
const (
	// DefaultMaxMessage is Options.MaxMessage when 0: 1 MiB.
	DefaultMaxMessage = 1 << 20
	// DefaultMaxHeaderBytes is Options.MaxHeaderBytes when 0: 8 KiB.
	DefaultMaxHeaderBytes = 8 << 10
	// DefaultHandshakeTimeout is Options.HandshakeTimeout when 0.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultCompressionLevel is Options.CompressionLevel when 0: fastest.
	DefaultCompressionLevel = flate.BestSpeed
	// DefaultCompressThreshold is Options.CompressThreshold when 0.
	DefaultCompressThreshold = 256
)

// Options configure a Codec. The zero value is a server that accepts an
// upgrade on any path, from any origin, without subprotocols or
// compression. Fields marked server or client apply to that side only.
//
// Options are a struct, not functional options like codec's framer
// options, because they play the part a Framer plays in package codec: one
// value describing the wire, the first argument of every constructor, so
// that the message samples can come last, as in codec.Msgpack(framer,
// samples...) and websocket.Msgpack(options, samples...).
type Options struct {
	// Path (server): when set, only an upgrade whose URL path is exactly
	// Path is accepted; a request for another path goes to HTTP if set,
	// else is answered 404.
	Path string
	// Protocols (server): the subprotocols supported, in preference order;
	// the server selects its first one the client offered, or none.
	// Protocols (client): the subprotocols offered, in order.
	Protocols []string
	// CheckOrigin (server): nil accepts any Origin; a function returning
	// false refuses the upgrade with 403.
	CheckOrigin func(r *http.Request) bool
	// HTTP (server): answers a request that is not a WebSocket upgrade (no
	// Upgrade header) or is for a path other than Path, so one port can
	// serve a page and the socket. It is called synchronously on the
	// connection's event loop with a buffering ResponseWriter and must not
	// block; the request has no body (only the head is read). The answer is
	// written with Connection: close and the connection then closes. nil:
	// such a request is answered 426 Upgrade Required (or 404 for a wrong
	// Path).
	HTTP http.Handler
	// Header: extra headers of the 101 answer (server) or of the upgrade
	// request (client). The headers the handshake itself sets (Upgrade,
	// Connection, Sec-WebSocket-*, Host) are skipped.
	Header http.Header
	// MaxMessage is the largest message payload accepted, in bytes, after
	// decompression; default 1 MiB. A larger one closes the connection with
	// 1009 as soon as a frame header shows it. The wire size of a message is
	// bounded too (see the package documentation), and a connection's
	// inbound buffer must be allowed to hold one frame: MaxMessage + 14
	// bytes.
	MaxMessage int
	// MaxHeaderBytes is the largest handshake head (request or response,
	// up to and including its blank line); default 8 KiB. A longer one is
	// answered 431 (server) or fails the dial (client).
	MaxHeaderBytes int
	// HandshakeTimeout is how long the opening handshake may take; default
	// 10s, negative means no limit.
	HandshakeTimeout time.Duration
	// Compression: negotiate permessage-deflate (RFC 7692) when the client
	// offers it (server) / offer it (client), with no context takeover in
	// either direction, so no compression state outlives a message.
	Compression bool
	// CompressionLevel is the flate level of outgoing messages: 1 (fastest,
	// the default when 0) to 9 (smallest), -1 for flate's default level, -2
	// for Huffman coding only.
	CompressionLevel int
	// CompressThreshold: outgoing payloads shorter than this many bytes go
	// out uncompressed even when compression is negotiated; default 256
	// when 0 (set 1 to compress every non-empty message).
	CompressThreshold int
}

// options is Options with defaults applied and the derived limits the
// streams read; it is immutable once New returns.
type options struct {
	Options
	handshakeTimeout time.Duration // 0: none
	wireBudget       int           // largest wire size of one message's data frames
}

// configError builds the error (or panic value) for an invalid
// configuration.
func configError(format string, args ...any) error {
	return fmt.Errorf("%w: websocket: "+format, append([]any{codec.ErrInvalidConfig}, args...)...)
}

// normalize validates o and returns it with defaults applied.
func normalize(o Options) (options, error) {
	bad := func(format string, args ...any) (options, error) {
		return options{}, configError(format, args...)
	}
	switch {
	case o.MaxMessage < 0:
		return bad("negative MaxMessage %d", o.MaxMessage)
	case o.MaxMessage > 1<<40:
		return bad("MaxMessage %d over 1 TiB", o.MaxMessage)
	case o.MaxHeaderBytes < 0:
		return bad("negative MaxHeaderBytes %d", o.MaxHeaderBytes)
	case o.CompressThreshold < 0:
		return bad("negative CompressThreshold %d", o.CompressThreshold)
	case o.CompressionLevel < flate.HuffmanOnly || o.CompressionLevel > flate.BestCompression:
		return bad("CompressionLevel %d not in -2..9", o.CompressionLevel)
	case o.Path != "" && !strings.HasPrefix(o.Path, "/"):
		return bad("Path %q does not start with /", o.Path)
	}
	for _, p := range o.Protocols {
		if !isToken(p) {
			return bad("subprotocol %q is not an HTTP token", p)
		}
	}
	if o.MaxMessage == 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.CompressionLevel == 0 {
		o.CompressionLevel = DefaultCompressionLevel
	}
	if o.CompressThreshold == 0 {
		o.CompressThreshold = DefaultCompressThreshold
	}
	o.Protocols = slices.Clone(o.Protocols)
	if o.Header != nil { // a copy with canonical keys, so the handshake's own are found
		h := make(http.Header, len(o.Header))
		for k, vs := range o.Header {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
		o.Header = h
	}
	n := options{Options: o, handshakeTimeout: o.HandshakeTimeout}
	switch {
	case o.HandshakeTimeout == 0:
		n.handshakeTimeout = DefaultHandshakeTimeout
	case o.HandshakeTimeout < 0:
		n.handshakeTimeout = 0
	}
	n.wireBudget = o.MaxMessage + o.MaxMessage/16 + maxHeaderLen
	return n, nil
}

// isToken reports whether s is a non-empty HTTP token (RFC 7230 §3.2.6).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
