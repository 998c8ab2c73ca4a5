// Package shard is Shoal's event loop: one goroutine per shard running
// poll → read and decode → deliver → drain the inbox → flush writes, owning the
// connections and actors pinned to it, their slots, generations and buffers.
//
// Its one caller is package actor, which implements Handler and turns slots
// into actors. Users of Shoal never need to import shard: they write against
// package actor, whose API shows no type of this package, and whose errors
// match actor's own sentinels.
//
// A Set is the shards of one node plus, unless every shard has its own
// SO_REUSEPORT listener or there is only one shard, an acceptor goroutine
// that accepts sockets, picks a
// shard by the load-balancing policy and publishes each new connection into
// that shard's disruptor-backed inbox, waking the shard only if it is parked
// in epoll_wait. (A "group" in this package is always a pub/sub group:
// Shard.Join, Publish, Broadcast.)
//
// The shard decodes wire bytes with the listener's codec and hands messages to
// the Handler on the shard's goroutine. A codec.StreamCodec (WebSocket) gets a
// codec.Stream per connection: the connection stays pending, unseen by the
// Handler, until the stream's handshake is done, and the shard writes what the
// stream asks for (replies, a goodbye before any close) without knowing the
// protocol. A listener (or an adopted socket) whose Limits.TLS is set runs
// crypto/tls below the codec: the handshake on a goroutine of its own
// (bounded by Config.TLSWorkers and MaxHandshakes, started only once a
// server has the whole ClientHello), the records on the shard through an
// in-memory transport (tls.go, tlsio.go). It knows the shape of an actor address (node, shard, slot,
// generation) but not what an actor is: that belongs to package actor.
//
// Every goroutine the set runs carries a pprof label, so a profile of a
// running server tells them apart: a shard's loop "shoal.shard" (its
// index), the acceptor "shoal.acceptor" (the addresses it accepts on,
// comma-separated). Config.Logger gets the set's few structured records
// (accept errors and back-offs, poller errors, listening sockets starting
// and stopping), never one per message or connection.
package shard
