package shard

// envelope is one slot of a shard's inbox ring: a message for an actor, or a
// command from the acceptor or the group. 64 bytes on 64-bit platforms.
type envelope struct {
	msg   any       // 16B — the message (kindMessage, kindPublish), or Spawn's argument
	group string    // 16B — kindPublish: the group
	lis   *Listener // 8B — kindOpen: the listener that accepted fd
	to    uint64    // 8B — kindMessage: target address
	from  uint64    // 8B — kindMessage: sender address, 0 if none
	fd    int32     // 4B — kindOpen: the accepted socket
	kind  envKind   // 1B
}

type envKind uint8

const (
	kindMessage envKind = iota // deliver msg to the actor at to
	kindOpen                   // adopt the accepted socket fd
	kindListen                 // start accepting on lis (ReusePort mode)
	kindSpawn                  // make a socketless slot and pass msg to Handler.Spawned
	kindPublish                // deliver msg to every local member of group
)
