package websocket

import "net/http"

// Upgrade is what a finished opening handshake learnt: the Info of the
// stream's codec.EventOpen. The runtime hands it to the connection's
// handler when it is opened; it is not used by the stream afterwards.
type Upgrade struct {
	// Request is the client's upgrade request (server side; nil on a
	// client stream). Its RemoteAddr is the client's address as the runtime
	// gave it to NewStream ("" if it gave none), and its Body is empty.
	Request *http.Request
	// Response is the server's 101 answer (client side; nil on a server
	// stream), with an empty Body.
	Response *http.Response
	// Protocol is the selected subprotocol, "" if none.
	Protocol string
	// Compressed reports that permessage-deflate was negotiated.
	Compressed bool
}

// Ping is a message an actor writes to send a ping control frame with these
// bytes (at most 125) as its payload, on any WebSocket codec, typed or raw:
// ctx.Write(websocket.Ping(nil)). The peer answers with a pong, which the
// stream consumes; like any bytes read, it keeps the connection from its
// listener's idle timeout, so a periodic Ping plus an IdleTimeout is a
// keep-alive that closes peers that have gone silent.
type Ping []byte
