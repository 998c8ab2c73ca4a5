package websocket

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/flate"
)

// permessage-deflate (RFC 7692) with no context takeover both ways: every
// message is compressed and decompressed on its own, so the flate writers
// and readers are pooled per Codec and borrowed for one message, never held
// by a connection.

// syncTail ends the output of a flate sync flush; RFC 7692 §7.2.1 removes it
// from a compressed message.
var syncTail = []byte{0x00, 0x00, 0xff, 0xff}

// inflateTail is appended to a received message before inflating: the
// removed sync-flush tail, then an empty final stored block, so the reader
// ends with io.EOF rather than an unexpected EOF.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// errTooBig is the inflate error for output over the message limit.
var errTooBig = errors.New("websocket: inflated message too big")

// deflater is a pooled flate writer appending to out.
type deflater struct {
	w   *flate.Writer
	out appendWriter
}

// appendWriter is an io.Writer appending to b.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// inflater is a pooled flate reader reading src.
type inflater struct {
	r   io.ReadCloser // also a flate.Resetter
	src pairReader
}

// pairReader reads a then b, as an io.Reader and io.ByteReader (so flate
// reads it without adding a bufio.Reader).
type pairReader struct{ a, b []byte }

func (p *pairReader) Read(dst []byte) (int, error) {
	if len(p.a) == 0 {
		p.a, p.b = p.b, nil
		if len(p.a) == 0 {
			return 0, io.EOF
		}
	}
	n := copy(dst, p.a)
	p.a = p.a[n:]
	return n, nil
}

func (p *pairReader) ReadByte() (byte, error) {
	if len(p.a) == 0 {
		p.a, p.b = p.b, nil
		if len(p.a) == 0 {
			return 0, io.EOF
		}
	}
	c := p.a[0]
	p.a = p.a[1:]
	return c, nil
}

// deflatePools are a Codec's flate writers and readers.
type deflatePools struct {
	level     int
	deflaters sync.Pool // *deflater
	inflaters sync.Pool // *inflater
}

// appendCompressed appends payload as one compressed frame (RSV1 set in b0)
// to dst, masked if masked. On error dst is returned with its length.
func (p *deflatePools) appendCompressed(dst []byte, b0 byte, payload []byte, masked bool) ([]byte, error) {
	start := len(dst)
	reserve := headerLen(1<<16, masked) // the longest header; moved down after
	d, _ := p.deflaters.Get().(*deflater)
	if d == nil {
		w, err := flate.NewWriter(nil, p.level)
		if err != nil {
			return dst, errors.Join(ErrCompression, err)
		}
		d = &deflater{w: w}
	}
	d.out.b = slices.Grow(dst, reserve+len(payload)/2+64)[:start+reserve]
	d.w.Reset(&d.out)
	_, err := d.w.Write(payload)
	if err == nil {
		err = d.w.Flush()
	}
	out := d.out.b
	d.out.b = nil
	p.deflaters.Put(d)
	if err == nil && !bytes.HasSuffix(out[start+reserve:], syncTail) {
		err = errors.New("flush did not end with a sync marker")
	}
	if err != nil {
		return dst[:start], errors.Join(ErrCompression, err)
	}
	out = out[:len(out)-len(syncTail)]
	n := len(out) - start - reserve
	var hdr [maxHeaderLen]byte
	h, key := putHeader(hdr[:], b0, n, masked)
	copy(out[start+h:], out[start+reserve:])
	out = out[:start+h+n]
	copy(out[start:], hdr[:h])
	if masked {
		maskBytes(out[start+h:], key)
	}
	return out, nil
}

// inflate decompresses src, one message without its sync tail, into a
// pooled buffer. More than limit bytes of output is errTooBig, whatever src
// claims; a corrupt stream is flate's error.
func (p *deflatePools) inflate(src []byte, limit int) (*[]byte, error) {
	f, _ := p.inflaters.Get().(*inflater)
	if f == nil {
		f = &inflater{}
		f.r = flate.NewReader(&f.src)
	}
	f.src = pairReader{a: src, b: inflateTail}
	if err := f.r.(flate.Resetter).Reset(&f.src, nil); err != nil {
		return nil, err
	}
	out := getBuf(min(limit+1, 4*len(src)+64))
	var err error
	for {
		b := *out
		if len(b) == cap(b) {
			out = growBuf(out, min(2*cap(b), limit+1))
			b = *out
		}
		var n int
		n, err = f.r.Read(b[len(b):cap(b)])
		*out = b[:len(b)+n]
		if len(*out) > limit {
			err = errTooBig
			break
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			break
		}
	}
	f.src = pairReader{}
	p.inflaters.Put(f)
	if err != nil {
		putBuf(out)
		return nil, err
	}
	return out, nil
}
