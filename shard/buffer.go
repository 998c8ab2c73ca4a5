package shard

// buffer is an elastic byte buffer owned by one connection while it holds
// data, and returned to its shard's pool when empty.
type buffer struct {
	b    []byte    // data in b[off:]; grows by append
	off  int       // bytes already consumed (written to the socket or decoded)
	segs []segment // outbound only: shared bytes to send between parts of b
}

// segment is shared outbound bytes (encoded once for many connections) to be
// written after b[:at] and before b[at:]. The bytes are never copied per
// connection: a flush hands them to writev as they are.
type segment struct {
	at int
	p  []byte
}

// pending returns the bytes not yet written: what remains of b and of every
// segment.
func (b *buffer) pending() int {
	n := len(b.b) - b.off
	for _, sg := range b.segs {
		n += len(sg.p)
	}
	return n
}

// empty reports whether nothing is left to write.
func (b *buffer) empty() bool { return b.off == len(b.b) && len(b.segs) == 0 }

// consume marks n written bytes as done, in write order: own bytes up to
// the next segment, then that segment, and so on.
func (b *buffer) consume(n int) {
	for n > 0 {
		if len(b.segs) > 0 && b.segs[0].at <= b.off {
			sg := &b.segs[0]
			k := min(n, len(sg.p))
			sg.p = sg.p[k:]
			n -= k
			if len(sg.p) == 0 {
				b.segs[0] = segment{}
				b.segs = b.segs[1:]
			}
			continue
		}
		lim := len(b.b)
		if len(b.segs) > 0 {
			lim = b.segs[0].at
		}
		k := min(n, lim-b.off)
		b.off += k
		n -= k
	}
}

// bufferPool is a shard-local free list of buffers. It is used only on the
// shard goroutine, so it needs no synchronisation, and keeps buffers of at
// most maxPooledBuffer bytes so one burst does not pin memory forever.
type bufferPool struct {
	free []*buffer
}

const (
	minBuffer       = 4 << 10
	maxPooledBuffer = 64 << 10
	maxPooledCount  = 1024
)

func (p *bufferPool) get() *buffer {
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return b
	}
	return &buffer{b: make([]byte, 0, minBuffer)}
}

func (p *bufferPool) put(b *buffer) {
	if cap(b.b) > maxPooledBuffer || len(p.free) >= maxPooledCount {
		return
	}
	clear(b.segs)
	b.b, b.off, b.segs = b.b[:0], 0, b.segs[:0]
	p.free = append(p.free, b)
}
