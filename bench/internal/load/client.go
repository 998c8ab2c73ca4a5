package load

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"time"
)

// epoch is the origin of nanotime; time.Since reads the monotonic clock.
var epoch = time.Now()

// nanotime returns monotonic nanoseconds since epoch.
func nanotime() int64 { return int64(time.Since(epoch)) }

// client drives one connection. Every field is owned by the connection's own
// goroutine; nothing here is shared.
//
// A message is an 8-byte little-endian sequence number followed by a pattern
// that depends on the connection, so that an echo that is stale, duplicated,
// cut short or from another connection fails the check.
type client struct {
	conn   net.Conn // a *net.TCPConn, or a *tls.Conn over one for ProtoTLS
	size   int      // bytes per message
	depth  int      // messages in flight; 1 = ping-pong
	wbuf   []byte   // depth*size; every slot holds the pattern, headers change per send
	rbuf   []byte   // depth*size; received bytes not yet checked are rbuf[:have]
	have   int      // bytes held in rbuf
	sent   uint64   // sequence number of the next message to send
	recvd  uint64   // sequence number of the next echo expected
	stamps []int64  // send time of message seq at stamps[seq%depth]
}

// newClient prepares the buffers for connection id. It allocates; the
// per-message methods do not.
func newClient(id int, conn net.Conn, size, depth int) *client {
	c := &client{
		conn:   conn,
		size:   size,
		depth:  depth,
		wbuf:   make([]byte, depth*size),
		rbuf:   make([]byte, depth*size),
		stamps: make([]int64, depth),
	}
	for s := range depth {
		msg := c.wbuf[s*size : (s+1)*size]
		for i := headerSize; i < size; i++ {
			msg[i] = byte(id*31 + i*7 + 1)
		}
	}
	return c
}

// roundTrip sends one message, reads its echo with io.ReadFull and returns
// the round-trip time and whether the echo equals what was sent.
func (c *client) roundTrip() (rtt time.Duration, ok bool, err error) {
	msg := c.wbuf[:c.size]
	binary.LittleEndian.PutUint64(msg, c.sent)
	c.sent++
	t0 := nanotime()
	if _, err := c.conn.Write(msg); err != nil {
		return 0, false, err
	}
	echo := c.rbuf[:c.size]
	if _, err := io.ReadFull(c.conn, echo); err != nil {
		return 0, false, err
	}
	return time.Duration(nanotime() - t0), bytes.Equal(echo, msg), nil
}

// send writes n new messages (n <= depth minus those in flight) in one write,
// stamping each with its sequence number and the send time.
func (c *client) send(n int) error {
	t := nanotime()
	for s := range n {
		binary.LittleEndian.PutUint64(c.wbuf[s*c.size:], c.sent)
		c.stamps[c.sent%uint64(c.depth)] = t
		c.sent++
	}
	_, err := c.conn.Write(c.wbuf[:n*c.size])
	return err
}

// receive reads what is available, checks every complete echo, records the
// counts in st and the latencies in st.hist while st is measuring, and
// returns the number of complete echoes.
func (c *client) receive(st *stats) (int, error) {
	n, err := c.conn.Read(c.rbuf[c.have:])
	c.have += n
	full := c.have / c.size
	if full == 0 {
		return 0, err
	}
	t := nanotime()
	measuring := st.measuring.Load()
	pattern := c.wbuf[headerSize:c.size]
	for m := range full {
		msg := c.rbuf[m*c.size : (m+1)*c.size]
		if binary.LittleEndian.Uint64(msg) != c.recvd || !bytes.Equal(msg[headerSize:], pattern) {
			st.bad.Add(1)
		}
		if measuring {
			st.hist.Record(time.Duration(t - c.stamps[c.recvd%uint64(c.depth)]))
		}
		c.recvd++
	}
	st.msgs.Add(uint64(full))
	used := full * c.size
	c.have = copy(c.rbuf, c.rbuf[used:c.have])
	return full, err
}

// runPingPong exchanges one message at a time until st says stop.
func (c *client) runPingPong(st *stats) {
	for !st.stop.Load() {
		rtt, ok, err := c.roundTrip()
		if err != nil {
			st.fail(err)
			return
		}
		st.msgs.Add(1)
		if !ok {
			st.bad.Add(1)
		}
		if st.measuring.Load() {
			st.hist.Record(rtt)
		}
	}
}

// runPipeline keeps depth messages in flight until st says stop: it sends
// depth, then for every batch of echoes it reads sends as many new ones.
func (c *client) runPipeline(st *stats) {
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
