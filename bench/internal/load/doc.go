// Package load is a closed-loop TCP load generator for echo servers on
// loopback.
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
// Every run is bounded in time (warm-up + window + a grace period, after which
// a stuck connection's deadline fires) and in count (the configured number of
// connections), dials only loopback addresses, and stops by itself.
//
// The hot loops allocate nothing per message: each connection owns its send
// and receive buffers and its ring of send timestamps, and the histogram is a
// fixed array of atomic counters.
package load
