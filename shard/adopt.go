package shard

import (
	"fmt"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// Adopt hands a connected socket that this process made (an outbound
// connection to target) to a shard, chosen round-robin, which serves it
// exactly like an accepted one: c decodes it, Handler.Open gets it with tag
// as its Listener().Tag. If c is a codec.StreamCodec, the connection's stream
// is a client stream for target and Open waits for its handshake. The set
// owns fd from then on, even on error. If the shard cannot take it (the set
// is stopping, or the table is full), or it closes before its handshake is
// done, failed is called with the reason, on that shard's goroutine. Safe
// from any goroutine but a shard's.
func (set *Set) Adopt(fd int, network, target string, c codec.Codec, tag any, lim Limits, failed func(error)) error {
	if c == nil {
		reactor.Close(fd)
		return fmt.Errorf("shard: adopt: nil codec")
	}
	if !set.Running() {
		reactor.Close(fd)
		return ErrStopped
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		reactor.Close(fd)
		return &OpError{Op: "adopt", Err: err}
	}
	if err := lim.Socket.validate(); err != nil {
		reactor.Close(fd)
		return err
	}
	_ = lim.Socket.apply(fd, network != "unix") // best effort: the connection works without them
	l := newListener(network, c, tag, lim)
	l.tcp, l.client, l.target, l.failedHook = network != "unix", true, target, failed
	s := set.shards[int(spawnNext.Add(1))%len(set.shards)]
	e := envelope{kind: kindOpen, to: uint64(fd), msg: l}
	if err := set.put(s, &e); err != nil {
		reactor.Close(fd)
		return err
	}
	return nil
}
