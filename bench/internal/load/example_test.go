package load_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/shoalrt/shoal/bench/internal/hubroom"
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

// Drive a 20-member chat room with 4 senders for a short window.
func ExampleRunRoom() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go hubroom.Serve(ln, 1<<12)

	res, err := load.RunRoom(context.Background(), load.Config{
		Addr:     ln.Addr().String(),
		Conns:    20,
		Senders:  4,
		Size:     32,
		Warmup:   10 * time.Millisecond,
		Duration: 100 * time.Millisecond,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("measured:", res.Messages > 0, "bad:", res.BadEchoes, "gaps:", res.Gaps, "missing:", res.Missing)
	// Output: measured: true bad: 0 gaps: 0 missing: 0
}
