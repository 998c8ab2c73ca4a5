package shard

import (
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of one shard through real loopback sockets, with the fake
// handler recording nothing.
//
//	Echo        one op = one line written by the client, echoed by the
//	            handler with WriteFrame and read back (a full round trip)
//	Publish/Mn  one op = one Set.Publish from outside the set to a
//	            group of n socketless members on one shard; deliveries/op
//	            is n, ns/delivery the cost of each
func BenchmarkEcho(b *testing.B) {
	set := newFakeSet(b, 1, nil, &hooks{
		receive: func(s *Shard, c *Conn, _ uint64, msg any) { _ = s.WriteFrame(c, msg.([]byte)) },
	})
	l := listen(b, set, "tcp", lines(), Limits{})
	start(b, set)
	nc := dial(b, l)
	if err := nc.SetDeadline(time.Time{}); err != nil {
		b.Fatal(err)
	}
	req := []byte("ping 0123456789abcdef\n")
	resp := make([]byte, len(req))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := nc.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, resp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPublish(b *testing.B) {
	for _, members := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("M%d", members), func(b *testing.B) {
			var delivered, want atomic.Int64
			done := make(chan struct{}, 1)
			set := newFakeSet(b, 1, nil, &hooks{
				deliver: func(*Shard, *Conn, uint64, any) {
					if delivered.Add(1) == want.Load() {
						done <- struct{}{}
					}
				},
			})
			start(b, set)
			joined := make(chan error, 1)
			err := set.Post(0, func() {
				s := set.Shards()[0]
				for i := 0; i < members; i++ {
					c, err := s.Spawn()
					if err != nil {
						joined <- err
						return
					}
					s.Join(c, "room")
				}
				joined <- nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := <-joined; err != nil {
				b.Fatal(err)
			}
			var msg any = "tick"
			want.Store(int64(b.N * members))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := set.Publish(0, "room", msg); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-time.After(waitFor):
				b.Fatalf("%d of %d deliveries", delivered.Load(), want.Load())
			}
			b.StopTimer()
			b.ReportMetric(float64(members), "deliveries/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*members), "ns/delivery")
		})
	}
}
