package actor_test

// Benchmarks of the whole path through real loopback sockets.
//
//	EchoPingPong/B64 = one client, one connection, 64-byte message, wait for
//	the echo before the next. One op = one message echoed. The allocation
//	count covers the server and the client (which allocates nothing itself).
//	Baseline = the same exchange against a goroutine-per-connection echo
//	server written with package net, in the same run.

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

func pingPong(b *testing.B, addr net.Addr, size int) {
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := make([]byte, size)
	got := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEchoPingPong(b *testing.B) {
	sys, err := actor.NewSystem()
	if err != nil {
		b.Fatal(err)
	}
	l, err := sys.Listen("127.0.0.1:0", codec.Raw(), echoFactory)
	if err != nil {
		b.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		b.Fatal(err)
	}
	defer sys.Stop(context.Background())

	std, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer std.Close()
	go func() {
		for {
			c, err := std.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()

	for _, size := range []int{64, 4096} {
		name := "B" + map[int]string{64: "64", 4096: "4K"}[size]
		b.Run("Shoal/"+name, func(b *testing.B) { pingPong(b, l.Addr(), size) })
		b.Run("StdNet/"+name, func(b *testing.B) { pingPong(b, std.Addr(), size) })
	}
}

// BenchmarkSystemSend measures System.Send from an outside goroutine to a
// connection actor that counts what it receives. One op = one message.
func BenchmarkSystemSend(b *testing.B) {
	got := make(chan actor.ID, 1)
	sys, err := actor.NewSystem()
	if err != nil {
		b.Fatal(err)
	}
	l, err := sys.Listen("127.0.0.1:0", codec.Raw(), func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if _, ok := ctx.Message().(actor.Opened); ok {
				got <- ctx.Self()
			}
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		b.Fatal(err)
	}
	defer sys.Stop(context.Background())
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	id := <-got
	msg := any(struct{}{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for sys.Send(id, msg) != nil {
		}
	}
}

// BenchmarkCrossShard: one actor on shard 0 sends to one actor on shard 1
// (Context.Send through the lane between the two shards), against two
// goroutines joined by a buffered channel (capacity 8192) in the same run.
// The sender sends chunks of 1024 and keeps at most 8 unacknowledged (the
// receiver acknowledges every 1024th message), so, like the channel's
// blocking send, flow control keeps it from outrunning the receiver without
// anything being dropped. One op = one message; the message is a
// preallocated pointer, so any allocation would be the runtime's.
// cpuTime returns the CPU time (user and system) this process has used, in
// nanoseconds: the cpu-ns/op metrics, steadier than wall time on a noisy
// machine, show what each message costs both sides together.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkCrossShard(b *testing.B) {
	type ping struct{ _ byte }
	type ack struct{ _ byte }
	msg, okMsg := any(&ping{}), any(&ack{})
	const chunk, window = 1024, 8
	b.Run("Shoal", func(b *testing.B) {
		sys, err := actor.NewSystem(actor.Shards(2))
		if err != nil {
			b.Fatal(err)
		}
		if err := sys.Start(); err != nil {
			b.Fatal(err)
		}
		defer sys.Stop(context.Background())
		done := make(chan struct{})
		n := b.N
		spawn := func(f actor.ReceiveFunc) actor.ID {
			id, err := sys.Spawn(func() actor.Actor { return f })
			if err != nil {
				b.Fatal(err)
			}
			return id
		}
		var src actor.ID
		got := 0
		sink := spawn(func(ctx *actor.Context) {
			if ctx.Message() != msg {
				return
			}
			got++
			if got == n {
				close(done)
			} else if got%chunk == 0 {
				ctx.Send(src, okMsg)
			}
		})
		var to actor.ID
		sent := 0
		send := func(ctx *actor.Context) {
			for end := min(sent+chunk, n); sent < end; sent++ {
				ctx.Send(to, msg)
			}
		}
		source := func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case actor.ID:
				to = m
				for range window {
					send(ctx)
				}
			default:
				if m == okMsg {
					send(ctx)
				}
			}
		}
		src = spawn(source)
		for src.Shard() == sink.Shard() { // round-robin placement: try the other shard
			src = spawn(source)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		sys.Send(src, sink)
		<-done
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("Chan", func(b *testing.B) {
		c := make(chan any, 8192)
		done := make(chan struct{})
		b.ReportAllocs()
		b.ResetTimer()
		go func() {
			for i := 0; i < b.N; i++ {
				<-c
			}
			close(done)
		}()
		cpu := cpuTime()
		for i := 0; i < b.N; i++ {
			c <- msg
		}
		<-done
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	})
}
