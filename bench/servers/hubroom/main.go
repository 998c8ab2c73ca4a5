// Command hubroom is the classic Go chat room (a goroutine per connection, a
// hub goroutine with channels) that bench/cmd/compare's room scenarios set
// against Shoal's groups: every line any member sends goes to every member.
//
//	hubroom -addr 127.0.0.1:9003 -queue 256
package main

import (
	"flag"
	"log"
	"net"

	"github.com/shoalrt/shoal/bench/internal/hubroom"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9003", "TCP address to listen on")
	queue := flag.Int("queue", hubroom.DefaultSendQueue, "lines queued per member before it is dropped")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("hubroom listening on %s", ln.Addr())
	if err := hubroom.Serve(ln, *queue); err != nil {
		log.Fatal(err)
	}
}
