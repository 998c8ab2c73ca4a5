package websocket

import (
	"net/http"
	"strconv"
	"strings"
)

// permessage-deflate negotiation (RFC 7692 §7.1). This package only
// compresses and decompresses each message on its own (no context
// takeover) with a 32 KiB window, so:
//
//   - a server accepts the first permessage-deflate offer whose parameters
//     it can honour and answers deflateResponse: it asks the client not to
//     take over context either (§7.1.1.2 lets a server include
//     client_no_context_takeover whether or not the client offered it);
//     an offer limiting the server's window below 15 bits is skipped;
//   - a client offers deflateOffer and accepts an answer that keeps
//     server_no_context_takeover (§7.1.1.1: a server accepts that
//     parameter by including it; an answer without it is not an
//     acceptance of this offer and fails the handshake).
const (
	extDeflate     = "permessage-deflate"
	deflateOffer   = "permessage-deflate; client_no_context_takeover; server_no_context_takeover"
	deflateAnswer  = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	hdrExtensions  = "Sec-Websocket-Extensions"
	paramServerNCT = "server_no_context_takeover"
	paramClientNCT = "client_no_context_takeover"
	paramServerMWB = "server_max_window_bits"
	paramClientMWB = "client_max_window_bits"
)

// extension is one element of a Sec-WebSocket-Extensions list: a name and
// its parameters (names lower-cased, values unquoted; "" for none).
type extension struct {
	name   string
	params [][2]string
}

// parseExtensions parses every Sec-WebSocket-Extensions header of h. Commas
// inside quoted strings are not expected (no parameter of this package's
// extension has one) and would split an element.
func parseExtensions(h http.Header) []extension {
	var out []extension
	for _, v := range h.Values(hdrExtensions) {
		for elem := range strings.SplitSeq(v, ",") {
			parts := strings.Split(elem, ";")
			e := extension{name: strings.ToLower(strings.TrimSpace(parts[0]))}
			if e.name == "" {
				continue
			}
			for _, p := range parts[1:] {
				k, val, _ := strings.Cut(p, "=")
				val = strings.TrimSpace(val)
				if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				e.params = append(e.params, [2]string{strings.ToLower(strings.TrimSpace(k)), val})
			}
			out = append(out, e)
		}
	}
	return out
}

// windowBits parses a max_window_bits value: 8 to 15.
func windowBits(v string) (int, bool) {
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 8 && n <= 15 && len(v) <= 2
}

// serverAcceptsDeflate reports whether the client's headers hold a
// permessage-deflate offer this server can honour.
func serverAcceptsDeflate(h http.Header) bool {
	for _, e := range parseExtensions(h) {
		if e.name == extDeflate && offerOK(e.params) {
			return true
		}
	}
	return false
}

// offerOK checks the parameters of one client offer: each known, at most
// once, with a valid value, and server_max_window_bits (if any) 15.
func offerOK(params [][2]string) bool {
	var seen [4]bool
	for _, p := range params {
		i := -1
		switch k, v := p[0], p[1]; k {
		case paramServerNCT, paramClientNCT:
			if v != "" {
				return false
			}
			i = 0
			if k == paramClientNCT {
				i = 1
			}
		case paramServerMWB:
			if n, ok := windowBits(v); !ok || n != 15 {
				return false // we deflate with a 32 KiB window
			}
			i = 2
		case paramClientMWB:
			if _, ok := windowBits(v); v != "" && !ok {
				return false
			}
			i = 3
		default:
			return false
		}
		if seen[i] {
			return false
		}
		seen[i] = true
	}
	return true
}

// clientDeflateAnswer checks the server's extension answer to a client
// stream: ok is false with a reason if the answer is not acceptable;
// deflate reports that compression was negotiated.
func clientDeflateAnswer(h http.Header, offered bool) (deflate bool, reason string) {
	exts := parseExtensions(h)
	if len(exts) == 0 {
		return false, ""
	}
	if !offered || len(exts) > 1 || exts[0].name != extDeflate {
		return false, "server selected an extension that was not offered"
	}
	var seen [4]bool
	for _, p := range exts[0].params {
		i := -1
		switch k, v := p[0], p[1]; k {
		case paramServerNCT, paramClientNCT:
			if v != "" {
				return false, "extension parameter " + k + " has a value"
			}
			i = 0
			if k == paramClientNCT {
				i = 1
			}
		case paramServerMWB:
			if _, ok := windowBits(v); !ok {
				return false, "invalid server_max_window_bits"
			}
			i = 2
		case paramClientMWB:
			if n, ok := windowBits(v); !ok || n != 15 {
				return false, "client_max_window_bits was not offered"
			}
			i = 3
		default:
			return false, "unknown permessage-deflate parameter " + strconvQuote(k)
		}
		if seen[i] {
			return false, "duplicate permessage-deflate parameter " + p[0]
		}
		seen[i] = true
	}
	if !seen[0] {
		return false, "server did not accept server_no_context_takeover"
	}
	return true, ""
}

// strconvQuote quotes s, cut to 64 bytes (it comes from the peer).
func strconvQuote(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strconv.Quote(s)
}
