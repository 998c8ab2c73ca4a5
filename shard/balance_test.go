package shard

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestBalancerPolicies(t *testing.T) {
	shards := []*Shard{{index: 0}, {index: 1}, {index: 2}}
	rr := balancer{policy: RoundRobin, shards: shards}
	for i := 0; i < 6; i++ {
		if got := rr.pick(nil).index; got != i%3 {
			t.Fatalf("round robin pick %d gave shard %d", i, got)
		}
	}
	shards[0].conns.Store(5)
	shards[1].conns.Store(2)
	shards[2].conns.Store(7)
	lc := balancer{policy: LeastConnections, shards: shards}
	if got := lc.pick(nil).index; got != 1 {
		t.Fatalf("least connections gave shard %d, want 1", got)
	}
	sh := balancer{policy: SourceHash, shards: shards}
	a := &unix.SockaddrInet4{Addr: [4]byte{10, 1, 2, 3}, Port: 1000}
	b := &unix.SockaddrInet4{Addr: [4]byte{10, 1, 2, 3}, Port: 2000}
	if sh.pick(a) != sh.pick(b) {
		t.Fatal("same host, different port, different shard")
	}
	// unix peers have no IP: round robin
	if first, second := sh.pick(&unix.SockaddrUnix{}), sh.pick(&unix.SockaddrUnix{}); first == second {
		t.Fatal("source hash without an IP did not fall back to round robin")
	}
}
