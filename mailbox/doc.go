// Package mailbox holds the queues that carry messages to a shard's actors.
//
// Its one caller is package shard, the event loop, which keeps an Inbox
// per shard and Queues for its local and retried sends. Users of Shoal
// never need to import it: package actor is what they write against, and
// nothing of mailbox appears in actor's API.
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
