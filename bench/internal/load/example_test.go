package load_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/shoalrt/shoal/bench/internal/load"
	"github.com/shoalrt/shoal/bench/internal/stdecho"
)

// Run 8 pipelined connections against an echo server for a short window.
func ExampleRun() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go stdecho.Serve(ln, 0)

	res, err := load.Run(context.Background(), load.Config{
		Addr:     ln.Addr().String(),
		Conns:    8,
		Size:     64,
		Depth:    4,
		Warmup:   10 * time.Millisecond,
		Duration: 100 * time.Millisecond,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("measured:", res.Messages > 0, "bad echoes:", res.BadEchoes)
	// Output: measured: true bad echoes: 0
}
