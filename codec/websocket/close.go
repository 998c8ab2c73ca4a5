package websocket

// Close status codes (RFC 6455 §7.4.1).
const (
	// CloseNormal: the purpose of the connection is fulfilled.
	CloseNormal = 1000
	// CloseGoingAway: an endpoint is going away (server shutdown, page left).
	CloseGoingAway = 1001
	// CloseProtocolError: the peer broke the protocol.
	CloseProtocolError = 1002
	// CloseUnsupportedData: a kind of data the endpoint cannot accept.
	CloseUnsupportedData = 1003
	// CloseNoStatus: the close frame had no status code. Never sent.
	CloseNoStatus = 1005
	// CloseAbnormal: the connection ended without a close frame. Never sent.
	CloseAbnormal = 1006
	// CloseInvalidPayload: message data not consistent with its type
	// (text that is not UTF-8, a deflate stream that does not inflate).
	CloseInvalidPayload = 1007
	// ClosePolicyViolation: a message violates the endpoint's policy.
	ClosePolicyViolation = 1008
	// CloseTooBig: a message is larger than the endpoint accepts.
	CloseTooBig = 1009
	// CloseMandatoryExtension: the client needed an extension the server
	// did not negotiate.
	CloseMandatoryExtension = 1010
	// CloseInternalError: the endpoint hit an unexpected condition.
	CloseInternalError = 1011
)

// codeCanBeSent reports whether code may appear in a close frame: the
// registered codes other than 1004 (reserved), 1005, 1006 and 1015 (which
// stand for the absence of a frame), and the 3000–4999 range for libraries
// and applications. It is also the rule for codes received.
func codeCanBeSent(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// codeText names the registered codes, for error messages.
func codeText(code int) string {
	switch code {
	case CloseNormal:
		return "normal closure"
	case CloseGoingAway:
		return "going away"
	case CloseProtocolError:
		return "protocol error"
	case CloseUnsupportedData:
		return "unsupported data"
	case CloseNoStatus:
		return "no status"
	case CloseAbnormal:
		return "abnormal closure"
	case CloseInvalidPayload:
		return "invalid payload data"
	case ClosePolicyViolation:
		return "policy violation"
	case CloseTooBig:
		return "message too big"
	case CloseMandatoryExtension:
		return "mandatory extension"
	case CloseInternalError:
		return "internal error"
	}
	return "application code"
}
