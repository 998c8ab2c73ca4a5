package shard

// buffer is an elastic byte buffer owned by one connection while it holds
// data, and returned to its shard's pool when empty.
type buffer struct {
	b   []byte // data in b[off:]; grows by append
	off int    // bytes already consumed (written to the socket or decoded)
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
	b.b, b.off = b.b[:0], 0
	p.free = append(p.free, b)
}
