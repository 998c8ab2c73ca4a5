// Package bench is the root of Shoal's benchmark module: load generators and
// side-by-side comparisons of Shoal's servers with peer libraries.
//
// It is a separate Go module so that peers (gnet, gobwas/ws, nbio) never enter the main
// module's go.mod. The runnable parts live below it:
//
//   - cmd/compare: builds the servers and the load generator, runs every
//     scenario against every server on pinned CPUs and prints the comparison.
//   - cmd/load: the load generator as a process of its own.
//   - servers/gnetecho, servers/stdecho: the peer echo servers.
//   - servers/shoalroom, servers/gnetroom, servers/hubroom: the chat rooms
//     (every line to every member) on Shoal's groups, on gnet v2 by hand
//     (write-combining or naive) and as the classic Go hub.
//   - servers/shoalws, servers/gnetws: the WebSocket echoes, on Shoal's
//     codec/websocket and on gnet v2 with gobwas/ws.
//   - servers/stdtls, servers/nbiotls: the TLS echo peers, on crypto/tls
//     over net (a goroutine per connection) and on nbio's TLS extension
//     (one event loop); Shoal's is examples/echo with -tls-cert/-tls-key.
//   - internal/load, internal/procstat, internal/stdecho, internal/hubroom,
//     internal/tlscert: the mechanisms.
//
// See docs/benchmarks.md in the main repository for how to run it.
package bench
