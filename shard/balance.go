package shard

import "golang.org/x/sys/unix"

// Balance is the policy that picks a shard for each accepted connection.
type Balance uint8

const (
	// RoundRobin hands connections to shards in turn. The default.
	RoundRobin Balance = iota
	// LeastConnections picks the shard holding the fewest connections.
	LeastConnections
	// SourceHash picks a shard by a hash of the peer's IP address, so one
	// client host always lands on the same shard.
	SourceHash
)

// balancer picks shards; used only by the acceptor goroutine.
type balancer struct {
	policy Balance
	shards []*Shard
	next   int // round-robin cursor
}

func (b *balancer) pick(sa unix.Sockaddr) *Shard {
	n := len(b.shards)
	if n == 1 {
		return b.shards[0]
	}
	switch b.policy {
	case LeastConnections:
		best := b.shards[0]
		for _, s := range b.shards[1:] {
			if s.conns.Load() < best.conns.Load() {
				best = s
			}
		}
		return best
	case SourceHash:
		if h, ok := hashSource(sa); ok {
			return b.shards[h%uint32(n)]
		}
	}
	s := b.shards[b.next]
	b.next = (b.next + 1) % n
	return s
}

// hashSource returns the FNV-1a hash of the peer's IP address.
func hashSource(sa unix.Sockaddr) (uint32, bool) {
	var ip []byte
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip = a.Addr[:]
	case *unix.SockaddrInet6:
		ip = a.Addr[:]
	default:
		return 0, false
	}
	h := uint32(2166136261)
	for _, c := range ip {
		h ^= uint32(c)
		h *= 16777619
	}
	return h, true
}
