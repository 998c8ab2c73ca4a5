// Package disruptor is Shoal's own implementation of the LMAX disruptor idea: a
// pre-allocated, power-of-two ring of slots shared by producers and one consumer
// that coordinate through cache-line padded sequence counters instead of locks.
//
// What it owns:
//
//   - [Sequence]: a padded int64 counter, the unit of coordination.
//   - [Ring]: the slot array, generic over the slot type; values are copied in
//     place, so publishing a message allocates nothing.
//   - Writers (sequencers): [SingleWriter] for one producer goroutine and
//     [SharedWriter] for any number of them. A producer reserves a range of
//     sequences, fills the slots, and commits the range. Writers check for room
//     before they claim and never wait while holding an unpublished claim.
//   - [Reader]: one consumer behind the writer's barrier, reading whole
//     published batches and releasing them to free room; [Reader.Linger]
//     trades a bounded delay for bigger batches when messages trickle in
//     one at a time.
//   - Wait strategies: [Spin], [Yield] and [Park]. Park is built on [Parker], a
//     running/sleeping/waking flag that lets a consumer sleep elsewhere (for
//     example in epoll_wait) and be woken at most once per sleep through a
//     user-supplied [Waker]; under Park, writers that find the ring full
//     block until the reader releases, instead of competing with it for the
//     processor. On a small, busy machine this is what makes the ring beat a
//     channel; spinning strategies only pay off with spare cores. Under Park
//     on a light Parker ([NewLightParker]) writers commit with a release
//     store instead of a full fence, and the consumer pays for it with a
//     process-wide memory barrier each time it announces sleep.
//
// Sequences start at 0. Cursors and reader sequences start at -1 ("nothing
// yet"). Ranges are inclusive: lo..hi.
//
// What it must not know about: actors, messages, sockets, epoll or any other
// part of Shoal. A reactor plugs in through the [Waker] interface only.
//
// No wait loop in this package sleeps on a timer: waiting is spinning,
// runtime.Gosched, or blocking on a real wake-up (see [ChanWaker]).
package disruptor
