package cluster

import (
	"encoding/binary"
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

	// batchBytes is the size at which a batch is closed: further envelopes
	// for its subject start a new one (they still go in the same flush).
	batchBytes = 64 << 10
)

// batcher gathers envelopes per subject; only its flusher publishes, so a
// sender (a shard) never waits for NATS, only for the short lock that
// appends its envelope.
type batcher struct {
	mu      sync.Mutex
	list    []outBatch     // batches in the order they began
	last    map[string]int // subject -> index in list of its batch still open
	pending int            // bytes in list
	kick    chan struct{}  // capacity 1: the flusher has work

	pubMu sync.Mutex // held while a flush publishes: flushes never interleave
	spare []outBatch // the flusher's other list, swapped with list

	pool sync.Pool // *[]byte batch and scratch buffers
}

// outBatch is one NATS message being filled.
type outBatch struct {
	subject string
	buf     *[]byte
}

func (b *batcher) init() {
	b.last = make(map[string]int)
	b.kick = make(chan struct{}, 1)
	b.pool.New = func() any { s := make([]byte, 0, 4096); return &s }
}

// add encodes e and appends it to the open batch for subject (a new batch
// when there is none, when it reached batchBytes, or when it would pass the
// maximum payload). Order per
// subject is kept: a subject's batches are published in the order they
// began, by one flush at a time.
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
	if b.pending+4+len(one) > n.cfg.MaxPending {
		return fmt.Errorf("%w (%d bytes)", ErrBacklog, b.pending)
	}
	i, open := b.last[subject]
	if open { // a batch ends at batchBytes, or before it would pass the maximum payload
		if size := len(*b.list[i].buf); size >= batchBytes || size+4+len(one) > max {
			open = false
		}
	}
	if !open {
		buf := b.pool.Get().(*[]byte)
		*buf = append((*buf)[:0], wireBatch)
		b.list = append(b.list, outBatch{subject, buf})
		i = len(b.list) - 1
		b.last[subject] = i
		b.pending++
	}
	buf := b.list[i].buf
	*buf = binary.LittleEndian.AppendUint32(*buf, uint32(len(one)))
	*buf = append(*buf, one...)
	b.pending += 4 + len(one)
	n.sent.Add(1)
	if len(b.list) == 1 || len(*buf) >= batchBytes {
		select { // wake the flusher: there is work, or a closed batch to take now
		case b.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// flush publishes every batch that waits, in the order they began.
func (n *Node) flush(nc *nats.Conn) {
	b := &n.batch
	b.pubMu.Lock()
	defer b.pubMu.Unlock()
	b.mu.Lock()
	list := b.list
	b.list, b.spare = b.spare[:0], nil
	clear(b.last)
	b.pending = 0
	b.mu.Unlock()
	for i, ob := range list {
		if err := nc.Publish(ob.subject, *ob.buf); err != nil { // copies *buf
			n.dropped.Add(1)
			n.report(logPublish, fmt.Errorf("cluster: node %d: publishing a batch to %s: %w", n.node, ob.subject, err))
		} else {
			n.batches.Add(1)
		}
		*ob.buf = (*ob.buf)[:0]
		b.pool.Put(ob.buf)
		list[i] = outBatch{}
	}
	b.spare = list[:0]
}

// flusher subscribes and unsubscribes groups as Interest recorded, and
// publishes batches whenever there are some, until done; then once more,
// for what the last senders added.
func (n *Node) flusher(nc *nats.Conn) {
	defer n.wg.Done()
	for {
		select {
		case <-n.batch.kick:
			n.applyInterest()
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
