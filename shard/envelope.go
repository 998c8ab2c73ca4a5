package shard

// envelope is one slot of a shard's inbox ring (and of its queues): a
// message for an actor, or a command from the acceptor or the set. Kept to
// 40 bytes, since every cross-shard message is copied twice (outbox, ring).
//
//	kind         msg                  to                 from
//	kindMessage  the message          target address     sender address
//	kindPublish  *publication         -                  sender address
//	kindBroadcast *publication        -                  -
//	kindOpen     *Listener            the socket         -
//	kindListen   *Listener            the socket         -
//	kindSpawn    Set.Spawn's arg      -                  -
//	kindCall     func()               -                  -
type envelope struct {
	msg  any     // 16B
	to   uint64  // 8B
	from uint64  // 8B
	kind envKind // 1B
}

// publication is a published message with its group's name.
type publication struct {
	group string
	msg   any
}

type envKind uint8

const (
	kindMessage   envKind = iota // deliver msg to the actor at to
	kindOpen                     // adopt the accepted socket fd
	kindListen                   // start accepting on lis (ReusePort mode)
	kindSpawn                    // make a socketless slot and pass msg to Handler.Spawned
	kindPublish                  // deliver msg to every local member of group
	kindBroadcast                // write msg to every local member's connection
	kindCall                     // run msg, a func(), on the shard goroutine (Set.Post)
)
