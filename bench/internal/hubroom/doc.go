// Package hubroom is the classic Go chat room the room benchmarks compare
// against: a goroutine per connection reading lines, one hub goroutine that
// owns the set of members and fans every line out over channels, and a writer
// goroutine per connection draining a buffered channel.
//
// It owns only that server. It must not know about load generation or
// measurement.
//
// Slow members are dropped, as in the classic chat example: the hub never
// blocks on a member; when a member's queue (SendQueue lines) is full, the
// hub closes the queue and forgets the member, whose writer then closes the
// connection.
package hubroom
