// Command stdecho is the Go standard library echo server used as a baseline
// by bench/cmd/compare: a goroutine per connection, a read/write loop over a
// fixed buffer.
//
//	stdecho -addr 127.0.0.1:9002 -buf 32768
package main

import (
	"flag"
	"log"
	"net"

	"github.com/shoalrt/shoal/bench/internal/stdecho"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9002", "TCP address to listen on")
	buf := flag.Int("buf", stdecho.DefaultBufSize, "per-connection buffer size in bytes")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("stdecho listening on %s", ln.Addr())
	if err := stdecho.Serve(ln, *buf); err != nil {
		log.Fatal(err)
	}
}
