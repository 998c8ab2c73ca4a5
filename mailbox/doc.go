// Package mailbox holds the queues that carry messages to a shard's actors.
//
// An Inbox is the multi-producer, single-consumer door into one shard: other
// shards, the acceptor and outside goroutines put envelopes into it; the
// shard's loop drains it in order. It is a shared-writer disruptor ring plus the
// announce/re-check/park protocol that lets a producer wake the shard only when
// it is really asleep.
//
// A Queue is the same-goroutine FIFO a shard uses for messages whose sender
// and receiver live on the shard itself, and for anything it must retry on its
// next turn.
//
// The package is generic over the envelope type: it knows nothing of actors,
// sockets or codecs.
package mailbox
