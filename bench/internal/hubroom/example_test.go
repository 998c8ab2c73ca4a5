package hubroom_test

import (
	"bufio"
	"fmt"
	"net"

	"github.com/shoalrt/shoal/bench/internal/hubroom"
)

// A room of one: the sender receives its own line.
func ExampleServe() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	done := make(chan error)
	go func() { done <- hubroom.Serve(ln, 0) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	fmt.Fprint(c, "hello, room\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	fmt.Printf("%q %v\n", line, err)
	c.Close()
	ln.Close()
	fmt.Println("Serve:", <-done)
	// Output:
	// "hello, room\n" <nil>
	// Serve: <nil>
}
