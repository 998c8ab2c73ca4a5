package load

import "errors"

// ErrBadConfig is returned by Run and RunIdle for a Config that cannot be run
// (no connections, a message shorter than its 8-byte sequence header, ...).
var ErrBadConfig = errors.New("load: bad config")

// ErrNotLoopback is returned when the server or a source address is not on
// the loopback network: the load generator refuses to send anywhere else.
var ErrNotLoopback = errors.New("load: address is not loopback")

// ErrDial is returned, wrapped with the first underlying error, when some of
// the connections could not be opened.
var ErrDial = errors.New("load: dial failed")

// ErrNotJoined is returned by RunRoom when some connections never received a
// probe line: the server did not make them members of the room in time.
var ErrNotJoined = errors.New("load: not every connection joined the room")

// ErrHandshake is returned, wrapped with what was wrong, when a WebSocket
// connection's upgrade failed: no 101, a wrong Sec-WebSocket-Accept, or an
// I/O error on the way.
var ErrHandshake = errors.New("load: websocket handshake failed")

// ErrTLSHandshake is returned, wrapped with crypto/tls's error, when a TLS
// connection's handshake failed.
var ErrTLSHandshake = errors.New("load: tls handshake failed")

// ErrBadFrame ends a WebSocket connection whose server sent a frame the
// client cannot parse: masked, or larger than every echo in flight.
var ErrBadFrame = errors.New("load: bad websocket frame")

// ErrPeerClosed ends a WebSocket connection whose server sent a close frame.
var ErrPeerClosed = errors.New("load: websocket closed by the server")
