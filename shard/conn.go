package shard

// Conn is one slot of a shard's table: a connection's socket and buffers, or,
// for an actor without a connection, just its identity. It lives in the
// shard's table and must only be touched on the shard's goroutine.
//
// An idle connection holds no buffer: in and out are nil unless a partial
// frame is waiting to be completed or written bytes are waiting for the
// socket to drain. 64 bytes on 64-bit platforms.
type Conn struct {
	// User is the handler's value for this slot (the actor). Read and written
	// by the handler on the shard goroutine.
	User any // 16B

	lis   *Listener // 8B — the listener that accepted it; nil for actors without a socket
	in    *buffer   // 8B — unconsumed inbound bytes (a partial frame); nil when none
	out   *buffer   // 8B — bytes not yet written to the socket; nil when none
	fd    int32     // 4B — socket, or -1
	slot  int32     // 4B — index in the table
	gen   uint32    // 4B — generation of the current occupant; 0 while the slot is free
	seen  uint32    // 4B — shard clock (ms) of the last read, for idle timeouts
	state connState // 1B
	flags connFlags // 1B
}

type connState uint8

const (
	stateFree    connState = iota // slot unused
	stateOpen                     // reading and writing
	stateClosing                  // no more reads; flushing, then close
)

type connFlags uint8

const (
	flagDirty     connFlags = 1 << iota // queued on the shard's flush list
	flagWantWrite                       // registered for writability after a short write
	flagPressure                        // over the high-water mark, handler told
	flagPacket                          // a datagram peer: fd is its listener's socket, shared
	flagPending                         // a stream connection whose handshake is not done: not opened yet
	flagSaidBye                         // its stream wrote its last bytes (a close frame)
	flagReset                           // closing without a flush: the next flush resets it
	flagTLS                             // crypto/tls runs between the socket and the codec (Shard.tlss)
)

// Open reports whether the connection is open for reading and writing.
func (c *Conn) Open() bool { return c.state == stateOpen }

// Fd returns the socket descriptor, or -1 for an actor without a connection.
func (c *Conn) Fd() int { return int(c.fd) }

// Listener returns the listener that accepted the connection, or nil.
func (c *Conn) Listener() *Listener { return c.lis }

// Buffered returns the number of written bytes not yet accepted by the
// socket (for TLS: plaintext not yet sealed plus ciphertext not yet
// written). Shard goroutine only.
func (s *Shard) Buffered(c *Conn) int {
	n := 0
	if c.out != nil {
		n = c.out.pending()
	}
	if ts := s.tlsOf(c); ts != nil && ts.wire != nil {
		n += ts.wire.pending()
	}
	return n
}
