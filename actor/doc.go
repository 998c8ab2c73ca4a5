// Package actor is the API Shoal's users write against.
//
// Every connection is an actor: a value with a Receive method, made by the
// listener's factory, pinned to one shard (one event loop goroutine) for its
// whole life. Bytes from the wire are decoded by the listener's codec into Go
// values and delivered to Receive in order; the actor answers by writing
// typed messages to its peer (Context.Write) or sending them to any other
// actor by ID (Context.Send, System.Send). Nobody returns bytes from a
// callback.
//
//	type echo struct{}
//
//	func (echo) Receive(ctx *actor.Context) {
//		if b, ok := ctx.Message().([]byte); ok {
//			ctx.WriteBytes(b)
//		}
//	}
//
//	sys, _ := actor.NewSystem(actor.Shards(runtime.NumCPU()))
//	sys.Listen("tcp://127.0.0.1:9000", codec.Bytes(codec.Raw()), func() actor.Actor { return echo{} })
//	sys.Start()
//	defer sys.Stop(context.Background())
//
// Receive runs on the actor's shard goroutine, never concurrently with itself,
// so an actor needs no locks for its own state. It must not block: the shard
// serves thousands of other actors.
//
// Package actor owns the user-facing model (Actor, Context, ID, System,
// system messages). It leaves the event loop to package shard, the OS to
// package reactor and the wire format to package codec.
package actor
