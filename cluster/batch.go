package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/shoalrt/shoal/actor"
)

// Envelopes for one subject are sent in batches: what the node's senders
// give it while its flusher goroutine is busy goes out as one NATS message,
// so a busy node pays NATS's per-message costs (the server's routing, the
// receiver's parsing) once per batch instead of once per envelope. A batch
// on the wire:
//
//	byte 0       wireBatch
//	then, per envelope: 4 bytes n (little endian), n bytes (its wire form)
//
// A receiver also takes a lone envelope (byte 0 wireVersion).
const (
	wireBatch = 2

	// batchBytes is the size past which a batch is published at once,
	// without waiting for the flusher.
	batchBytes = 64 << 10
)

// ErrTooLarge is returned for a message whose envelope is larger than the
// NATS server's maximum payload.
var ErrTooLarge = errors.New("cluster: message larger than the NATS maximum payload")

// batcher gathers envelopes per subject until its flusher publishes them.
type batcher struct {
	mu      sync.Mutex
	pending map[string]*[]byte // subject -> batch being filled
	order   []string           // subjects with a batch, in the order their batch began
	kick    chan struct{}      // capacity 1: the flusher has work
	pool    sync.Pool          // *[]byte batch and scratch buffers
}

func (b *batcher) init() {
	b.pending = make(map[string]*[]byte)
	b.kick = make(chan struct{}, 1)
	b.pool.New = func() any { s := make([]byte, 0, 4096); return &s }
}

// add encodes e into the batch for subject, publishing on nc what must go
// now (a batch that would pass the maximum payload, or reached batchBytes).
// Order per subject is kept: everything for a subject goes through its
// batch, and batches are published under b.mu.
func (n *Node) add(nc *nats.Conn, subject string, e *actor.Envelope) error {
	b := &n.batch
	sp := b.pool.Get().(*[]byte)
	defer b.pool.Put(sp)
	one, err := appendEnvelope((*sp)[:0], e, n.ser)
	*sp = one[:0]
	if err != nil {
		return err
	}
	max := int(nc.MaxPayload())
	if 1+4+len(one) > max {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(one), max-5)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	buf := b.pending[subject]
	if buf != nil && len(*buf)+4+len(one) > max {
		n.flushLocked(nc) // no room in this batch: send what waits first
		buf = nil
	}
	if buf == nil {
		buf = b.pool.Get().(*[]byte)
		*buf = append((*buf)[:0], wireBatch)
		b.pending[subject] = buf
		b.order = append(b.order, subject)
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	*buf = binary.LittleEndian.AppendUint32(*buf, uint32(len(one)))
	*buf = append(*buf, one...)
	n.sent.Add(1)
	if len(*buf) >= batchBytes {
		n.flushLocked(nc)
	}
	return nil
}

// flush publishes every pending batch.
func (n *Node) flush(nc *nats.Conn) {
	n.batch.mu.Lock()
	n.flushLocked(nc)
	n.batch.mu.Unlock()
}

// flushLocked publishes every pending batch, in the order they began.
// b.mu held.
func (n *Node) flushLocked(nc *nats.Conn) {
	b := &n.batch
	for _, subject := range b.order {
		buf := b.pending[subject]
		if err := nc.Publish(subject, *buf); err != nil { // copies *buf
			n.dropped.Add(1)
			n.report(fmt.Errorf("cluster: node %d: publishing a batch to %s: %w", n.node, subject, err))
		} else {
			n.batches.Add(1)
		}
		delete(b.pending, subject)
		*buf = (*buf)[:0]
		b.pool.Put(buf)
	}
	clear(b.order)
	b.order = b.order[:0]
}

// flusher publishes batches whenever there are some, until done; then once
// more, for what the last senders added.
func (n *Node) flusher(nc *nats.Conn) {
	defer n.wg.Done()
	for {
		select {
		case <-n.batch.kick:
			n.flush(nc)
		case <-n.done:
			n.flush(nc)
			return
		}
	}
}

// eachEnvelope calls fn with the wire form of every envelope in data: a
// batch, or a lone envelope. It reports a batch whose framing is broken;
// the envelopes before the break were handed over.
func eachEnvelope(data []byte, fn func([]byte)) error {
	if len(data) == 0 {
		return malformed("empty message")
	}
	if data[0] != wireBatch {
		fn(data)
		return nil
	}
	p := data[1:]
	for len(p) > 0 {
		if len(p) < 4 {
			return malformed("batch: %d bytes left, too few for a length", len(p))
		}
		size := binary.LittleEndian.Uint32(p)
		p = p[4:]
		if uint64(size) > uint64(len(p)) {
			return malformed("batch: an envelope of %d bytes, %d left", size, len(p))
		}
		fn(p[:size])
		p = p[size:]
	}
	return nil
}
