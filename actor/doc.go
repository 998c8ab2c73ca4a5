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
// A typed codec delivers what was registered: with
// codec.Msgpack(codec.LengthField(4), Join{}) a frame arrives as a Join
// value (case Join:), with &Join{} as a *Join.
//
// System and Context offer the same operations under the same names and
// errors (Send, Publish, Broadcast, Spawn). Where an actor cannot wait,
// the Context form answers with a message instead of a return value:
// System.Ask and Context.Request (a Response), System.Dial and
// Context.Dial (a Dialed), and Context.Go runs blocking work (a Result).
//
// Errors. Everything the package returns or delivers is, or wraps, one of
// its sentinels (errors.go: ErrClosed, ErrInboxFull, ErrShutdown, ...), a
// *PanicError, or an error of what the user gave it (a codec's, a
// cluster's, the operating system's), and prints "actor: ..." when it is
// the package's own. Options are checked when they are used (NewSystem,
// Listen, Dial, Spawn), with errors wrapping ErrBadOption.
//
// Logs go to the Logger option (log/slog, default slog.Default()); each
// shard goroutine carries the pprof label shoal.shard.
//
// Package actor owns the user-facing model (Actor, Context, ID, System,
// system messages, options, errors, statistics). It leaves the event loop
// to package shard and the queues to package mailbox — neither appears in
// its API — the OS to package reactor and the wire format to package
// codec; it knows a cluster only through the Remote interface.
package actor
