package load

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"time"
)

// WebSocket frame bits and opcodes (RFC 6455, section 5.2).
const (
	wsFin      = 0x80
	wsMaskBit  = 0x80
	wsOpBinary = 0x2
	wsOpClose  = 0x8
	wsOpPing   = 0x9
	wsOpPong   = 0xA
	// wsControlMax is the largest control frame: a 4-byte header (2 plus a
	// generous 2) and at most 125 bytes of payload.
	wsControlMax = 4 + 125
)

// wsClient drives one WebSocket connection, ping-pong or pipelined. Every
// field is owned by the connection's own goroutine; nothing here is shared.
//
// A message is the same payload as client's (sequence number and pattern),
// sent as one masked binary frame; the echo must come back as one unmasked
// final binary frame of the same payload. Server frames are parsed from
// their headers, so control frames in between (a ping, say) are skipped, not
// mistaken for echoes.
type wsClient struct {
	conn   *net.TCPConn
	size   int     // payload bytes per message
	depth  int     // messages in flight; 1 = ping-pong
	frame  int     // bytes of one client frame: header, mask key, payload
	head   int     // bytes before the payload in a client frame
	mask   [4]byte // this connection's masking key, used for every frame
	wbuf   []byte  // depth client frames, masked; only sequence numbers change per send
	plain  []byte  // one unmasked payload: what every echo must hold after its sequence number
	rbuf   []byte  // received bytes not yet parsed are rbuf[:have]
	have   int     // bytes held in rbuf
	sent   uint64  // sequence number of the next message to send
	recvd  uint64  // sequence number of the next echo expected
	stamps []int64 // send time of message seq at stamps[seq%depth]
}

// newWSClient prepares the frames and buffers for connection id, whose
// handshake is done. It allocates; the per-message methods do not.
func newWSClient(id int, conn *net.TCPConn, size, depth int) *wsClient {
	c := &wsClient{conn: conn, size: size, depth: depth, stamps: make([]int64, depth)}
	_, _ = rand.Read(c.mask[:])
	var hdr [14]byte
	c.head = putWSHeader(hdr[:], size, true)
	copy(hdr[c.head:], c.mask[:])
	c.head += len(c.mask)
	c.frame = c.head + size

	c.plain = make([]byte, size)
	for i := headerSize; i < size; i++ {
		c.plain[i] = byte(id*31 + i*7 + 1)
	}
	c.wbuf = make([]byte, depth*c.frame)
	for s := range depth {
		f := c.wbuf[s*c.frame : (s+1)*c.frame]
		copy(f, hdr[:c.head])
		p := f[c.head:]
		for i := range p {
			p[i] = c.plain[i] ^ c.mask[i&3]
		}
	}
	c.rbuf = make([]byte, depth*(wsHeaderSize(size)+size)+2*wsControlMax)
	return c
}

// wsHeaderSize returns the bytes of an unmasked frame header for an n-byte
// payload (RFC 6455: the shortest length encoding).
func wsHeaderSize(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xFFFF:
		return 4
	}
	return 10
}

// putWSHeader writes a final binary frame header for an n-byte payload into
// b, with the mask bit if masked (the key itself is not written), and
// returns its length.
func putWSHeader(b []byte, n int, masked bool) int {
	b[0] = wsFin | wsOpBinary
	var m byte
	if masked {
		m = wsMaskBit
	}
	switch hl := wsHeaderSize(n); hl {
	case 2:
		b[1] = m | byte(n)
		return hl
	case 4:
		b[1] = m | 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		return hl
	default:
		b[1] = m | 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
		return hl
	}
}

// send writes n new messages (n <= depth minus those in flight) in one
// write, stamping each with its sequence number, masked, and the send time.
func (c *wsClient) send(n int) error {
	t := nanotime()
	var seq [headerSize]byte
	for s := range n {
		binary.LittleEndian.PutUint64(seq[:], c.sent)
		p := c.wbuf[s*c.frame+c.head:]
		for i := range seq {
			p[i] = seq[i] ^ c.mask[i&3]
		}
		c.stamps[c.sent%uint64(c.depth)] = t
		c.sent++
	}
	_, err := c.conn.Write(c.wbuf[:n*c.frame])
	return err
}

// receive reads what is available, parses every complete server frame,
// checks every echo, records the counts in st and the latencies in st.hist
// while st is measuring, and returns the number of echoes. A frame that
// cannot be parsed or cannot fit the buffer ends the connection with
// ErrBadFrame; a close frame with ErrPeerClosed.
func (c *wsClient) receive(st *stats) (int, error) {
	n, err := c.conn.Read(c.rbuf[c.have:])
	c.have += n
	got, p := 0, 0
	t := nanotime()
	measuring := st.measuring.Load()
	for {
		op, payload, next, perr := c.parseFrame(p)
		if perr != nil {
			st.msgs.Add(uint64(got))
			return got, perr
		}
		if next == 0 {
			break // incomplete frame
		}
		p = next
		switch op {
		case wsFin | wsOpBinary:
			if len(payload) != c.size || binary.LittleEndian.Uint64(payload) != c.recvd ||
				!bytes.Equal(payload[headerSize:], c.plain[headerSize:]) {
				st.bad.Add(1)
			}
			if measuring {
				st.hist.Record(time.Duration(t - c.stamps[c.recvd%uint64(c.depth)]))
			}
			c.recvd++
			got++
		case wsFin | wsOpPing, wsFin | wsOpPong:
			// Not answered: the servers under test do not ping.
		case wsFin | wsOpClose:
			st.msgs.Add(uint64(got))
			return got, ErrPeerClosed
		default: // a fragment or another data opcode stands for one echo, wrong
			st.bad.Add(1)
			c.recvd++
			got++
		}
	}
	st.msgs.Add(uint64(got))
	if p > 0 {
		c.have = copy(c.rbuf, c.rbuf[p:c.have])
	}
	return got, err
}

// parseFrame parses the server frame at rbuf[p:have]. It returns the first
// header byte (FIN, RSV and opcode), the payload and the offset after the
// frame; next is 0 if the frame is not complete yet.
func (c *wsClient) parseFrame(p int) (op byte, payload []byte, next int, err error) {
	b := c.rbuf[p:c.have]
	if len(b) < 2 {
		return 0, nil, 0, nil
	}
	if b[1]&wsMaskBit != 0 {
		return 0, nil, 0, fmt.Errorf("%w: masked server frame", ErrBadFrame)
	}
	hl, n := 2, uint64(b[1]&0x7F)
	switch n {
	case 126:
		hl = 4
	case 127:
		hl = 10
	}
	if len(b) < hl {
		return 0, nil, 0, nil
	}
	switch hl {
	case 4:
		n = uint64(binary.BigEndian.Uint16(b[2:]))
	case 10:
		n = binary.BigEndian.Uint64(b[2:])
	}
	if n > uint64(len(c.rbuf)-hl) {
		return 0, nil, 0, fmt.Errorf("%w: %d-byte payload, buffer holds %d", ErrBadFrame, n, len(c.rbuf)-hl)
	}
	end := hl + int(n)
	if len(b) < end {
		return 0, nil, 0, nil
	}
	return b[0], b[hl:end], p + end, nil
}

// exchange sends one message and waits for its echo: the idle scenario's
// single round trip.
func (c *wsClient) exchange(st *stats) error {
	if err := c.send(1); err != nil {
		return err
	}
	for {
		n, err := c.receive(st)
		if n > 0 || err != nil {
			return err
		}
	}
}

// run keeps depth messages in flight until st says stop: it sends depth,
// then for every batch of echoes it reads sends as many new ones. With depth
// 1 that is ping-pong.
func (c *wsClient) run(st *stats) {
	if err := c.send(c.depth); err != nil {
		st.fail(err)
		return
	}
	for !st.stop.Load() {
		n, err := c.receive(st)
		if err != nil {
			st.fail(err)
			return
		}
		if n > 0 && !st.stop.Load() {
			if err := c.send(n); err != nil {
				st.fail(err)
				return
			}
		}
	}
}
