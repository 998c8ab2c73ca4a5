// Package stdecho is the Go standard library's echo server as the benchmarks
// use it: one goroutine per connection copying what it reads back to the peer
// through a fixed buffer.
//
// It owns only that loop. It must not know about load generation or
// measurement; it is the baseline the benchmarks compare against.
package stdecho
