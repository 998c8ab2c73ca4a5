package websocket

import (
	"errors"
	"fmt"
	"net/http"
)

var (
	// ErrPingTooLong is returned for a Ping of more than 125 bytes, the most
	// a control frame carries.
	ErrPingTooLong = errors.New("websocket: a ping carries at most 125 bytes")
	// ErrNeedsStream is returned by Codec.Next: a WebSocket connection needs
	// per-connection state (handshake, fragments, close handshake), so its
	// bytes are decoded by the Stream that NewStream returns, never by the
	// stateless Framer.
	ErrNeedsStream = errors.New("websocket: a WebSocket connection is decoded by its Stream (NewStream), not by Codec.Next")
	// ErrHandshake is matched (errors.Is) by every *HandshakeError.
	ErrHandshake = errors.New("websocket: handshake failed")
	// ErrBadTarget reports a dial target a client stream cannot handshake
	// with: not a ws:// or wss:// URL, or no host. The stream's first Next
	// reports it as EventClose.
	ErrBadTarget = errors.New("websocket: invalid dial target")
	// ErrClosed is returned by Stream.AppendMessage once the stream has sent
	// or received a close frame: nothing more may be sent.
	ErrClosed = errors.New("websocket: connection closing")
	// ErrNotOpen is returned by Stream.AppendMessage before the handshake
	// has finished.
	ErrNotOpen = errors.New("websocket: handshake not finished")
	// ErrCompression reports that deflating an outgoing message failed.
	ErrCompression = errors.New("websocket: compression failed")
)

// HandshakeError reports a failed opening handshake. On a server stream
// Status is the HTTP status answered to the client (400, 403, 404, 426,
// 431, 500); on a client stream it is the status the server answered
// (0 if its answer was not a readable HTTP response). It matches
// ErrHandshake.
type HandshakeError struct {
	// Status is the HTTP status code (see above).
	Status int
	// Reason says what was wrong.
	Reason string
}

// Error implements error.
func (e *HandshakeError) Error() string {
	if e.Status == 0 {
		return "websocket: handshake: " + e.Reason
	}
	return fmt.Sprintf("websocket: handshake: %d %s: %s", e.Status, http.StatusText(e.Status), e.Reason)
}

// Is reports whether target is ErrHandshake.
func (e *HandshakeError) Is(target error) bool { return target == ErrHandshake }

// CloseError is why a WebSocket connection ended with a status code. Remote
// is true when the peer sent this code in its close frame; otherwise this
// end closed for this reason (a protocol violation by the peer, usually)
// and sent the code.
type CloseError struct {
	// Code is the close status code (see the Close* constants).
	Code int
	// Reason is the peer's close reason (Remote) or what this end found
	// wrong.
	Reason string
	// Remote reports that the peer sent the code.
	Remote bool
}

// Error implements error.
func (e *CloseError) Error() string {
	who := "closing"
	if e.Remote {
		who = "peer closed"
	}
	if e.Reason == "" {
		return fmt.Sprintf("websocket: %s with %d (%s)", who, e.Code, codeText(e.Code))
	}
	return fmt.Sprintf("websocket: %s with %d (%s): %s", who, e.Code, codeText(e.Code), e.Reason)
}

// CloseCode returns e.Code, so a *CloseError given to Stream.Goodbye closes
// with its code.
func (e *CloseError) CloseCode() int { return e.Code }
