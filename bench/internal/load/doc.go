// Package load is a closed-loop TCP load generator for echo servers (raw,
// WebSocket or TLS) and chat rooms on loopback.
//
// It owns the client side of a benchmark run: dialing the connections
// (spread over several loopback source addresses when asked), driving them in
// ping-pong or pipelined mode with one goroutine per connection, checking
// every echo against what was sent, timing every round trip into a latency
// histogram, and sampling the server's CPU time and resident memory from /proc
// at the edges of the measured window. It must not know which server it is
// talking to, how that server was started, or how results are compared and
// printed: that is cmd/compare's job.
//
// With Proto ProtoWS, Run and RunIdle speak WebSocket instead of raw TCP:
// each connection does the HTTP upgrade handshake (a random
// Sec-WebSocket-Key, a checked 101 and Sec-WebSocket-Accept), then every
// message goes out as one masked binary frame (one random masking key per
// connection) and must come back as one unmasked binary frame holding the
// same payload; server frames are parsed from their headers.
//
// With Proto ProtoTLS, each connection runs a crypto/tls client handshake
// (Config.TLS: roots to verify the server with, or none to skip verifying),
// then messages go over TLS as raw bytes, one record per write.
// RunHandshakes measures handshakes instead of messages: a few workers each
// dial, handshake, echo one message and close with a reset, again and again,
// either without a session cache (every handshake full) or with one
// (Config.Resume: every handshake after a worker's first resumes a session
// from the server's ticket).
//
// RunRoom drives a chat room instead (every line any connection sends goes to
// every connection): a few connections send lines with a bounded number of
// their own in flight, every connection reads and counts deliveries, and the
// senders plus a sample of members check every line's format, sender and
// order; at the end every member must have received every line.
//
// Every run is bounded in time (warm-up + window + a grace period, after which
// a stuck connection's deadline fires) and in count (the configured number of
// connections), dials only loopback addresses, and stops by itself.
//
// The hot loops allocate nothing per message: each connection owns its send
// and receive buffers and its ring of send timestamps, and the histogram is a
// fixed array of atomic counters.
package load
