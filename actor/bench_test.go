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
	"sync/atomic"
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
	pingPongOn(b, c, size)
}

// pingPongOn writes size bytes on c and reads their echo, b.N times.
func pingPongOn(b *testing.B, c net.Conn, size int) {
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
	l, err := sys.Listen("127.0.0.1:0", codec.Bytes(codec.Raw()), echoFactory)
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
	l, err := sys.Listen("127.0.0.1:0", codec.Bytes(codec.Raw()), func() actor.Actor {
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
// benchPing and benchAck are BenchmarkCrossShard's messages: actors tell
// them apart with a type switch, as actors do.
type (
	benchPing struct{ _ byte }
	benchAck  struct{ _ byte }
)

// benchSink counts the messages of BenchmarkCrossShard and acknowledges
// every chunk to the source.
type benchSink struct {
	_        [64]byte
	got, n   int
	msg, ack any
	src      actor.ID
	done     chan struct{}
	_        [64]byte
}

func (k *benchSink) Receive(ctx *actor.Context) {
	if _, ok := ctx.Message().(*benchPing); !ok {
		return
	}
	k.got++
	if k.got == k.n {
		close(k.done)
	} else if k.got%1024 == 0 {
		ctx.Send(k.src, k.ack)
	}
}

// benchSource sends BenchmarkCrossShard's messages, a window of chunks
// ahead of the acknowledgements.
type benchSource struct {
	_             [64]byte
	to            actor.ID
	sent, n       int
	chunk, window int
	msg, ack      any
	_             [64]byte
}

func (s *benchSource) send(ctx *actor.Context) {
	for end := min(s.sent+s.chunk, s.n); s.sent < end; s.sent++ {
		ctx.Send(s.to, s.msg)
	}
}

func (s *benchSource) Receive(ctx *actor.Context) {
	switch m := ctx.Message().(type) {
	case actor.ID:
		s.to = m
		for range s.window {
			s.send(ctx)
		}
	case *benchAck:
		s.send(ctx)
	}
}

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
	msg, okMsg := any(&benchPing{}), any(&benchAck{})
	const chunk, window = 1024, 8
	b.Run("Shoal", func(b *testing.B) {
		sys := startBench(b, 2)
		spawn := func(a actor.Actor) actor.ID {
			id, err := sys.Spawn(func() actor.Actor { return a })
			if err != nil {
				b.Fatal(err)
			}
			return id
		}
		// Each actor's state is its own padded object, as separate actors'
		// are: counters of the two sides sharing a cache line would cost
		// both a transfer per message and measure the benchmark, not Shoal.
		sink := &benchSink{n: b.N, msg: msg, ack: okMsg, done: make(chan struct{})}
		sinkID := spawn(sink)
		source := &benchSource{n: b.N, msg: msg, ack: okMsg, chunk: chunk, window: window}
		srcID := spawn(source)
		for srcID.Shard() == sinkID.Shard() { // round-robin placement: try the other shard
			source = &benchSource{n: b.N, msg: msg, ack: okMsg, chunk: chunk, window: window}
			srcID = spawn(source)
		}
		sink.src = srcID
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		sys.Send(srcID, sinkID)
		<-sink.done
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

// BenchmarkGroupFanOut: an actor publishes to a group of 1000 member actors
// spread over two shards (the publisher's and the other), each of which
// counts what it gets. One op = one delivery to one member (b.N rounded
// down to whole publications); the message is a preallocated pointer.
func BenchmarkGroupFanOut(b *testing.B) {
	const members = 1000
	sys := startBench(b, 2)
	pubs := max(b.N/members, 1)
	var remaining atomic.Int64
	remaining.Store(members)
	done := make(chan struct{})
	joined := make(chan struct{}, members)
	for range members {
		if _, err := sys.Spawn(func() actor.Actor {
			n := 0
			return actor.ReceiveFunc(func(ctx *actor.Context) {
				switch ctx.Message().(type) {
				case actor.Started:
					ctx.Join("room")
					joined <- struct{}{}
				case *benchPing:
					if n++; n == pubs && remaining.Add(-1) == 0 {
						close(done)
					}
				}
			})
		}); err != nil {
			b.Fatal(err)
		}
	}
	for range members {
		<-joined
	}
	msg := any(&benchPing{})
	left := pubs
	pub, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if ctx.Message() == "go" {
				// 256 a turn: all at once would pass the outboxes' bound
				// (MaxRetry) at large b.N, drop publications, and hang.
				for i := 0; i < 256 && left > 0; i++ {
					ctx.Publish("room", msg)
					left--
				}
				if left > 0 {
					ctx.Send(ctx.Self(), "go")
				}
			}
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	sys.Send(pub, "go")
	<-done
}

// startBench starts a system of shards shards, stopped when the benchmark
// ends.
func startBench(b *testing.B, shards int) *actor.System {
	b.Helper()
	sys, err := actor.NewSystem(actor.Shards(shards))
	if err != nil {
		b.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sys.Stop(context.Background()) })
	return sys
}
