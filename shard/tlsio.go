package shard

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// tlsTransport is the net.Conn under a connection's crypto/tls Conn. The
// socket stays the shard's: crypto/tls reads and writes only memory.
//
// It has two modes. During the handshake (handshake goroutine) Read blocks
// until the shard has fed ciphertext, the peer has closed, or the
// connection failed; Write hands bytes to send to the shard (post). Once
// the handshake is done the shard switches it to the shard mode (onShard,
// only ever touched by the shard goroutine): Read returns what the socket
// read this turn (src), then errWouldBlock, a net.Error whose Temporary()
// and Timeout() are true, which crypto/tls reports without poisoning the
// connection (it keeps a partial record for the next Read); Write appends
// to the connection's outbound bytes (sink). The switch is ordered by the
// handshake goroutine's last post to the shard: after Handshake returns
// that goroutine never touches the transport again.
type tlsTransport struct {
	// Handshake mode: shared between the shard and the handshake goroutine.
	mu      sync.Mutex
	cond    sync.Cond
	rx      []byte // ciphertext fed by the shard, not yet read: rx[rxOff:]
	rxOff   int
	eof     bool  // the peer closed its side
	err     error // the connection is gone: Read and Write fail with it
	post    func([]byte) error
	workers *workerSem // compute places: held while crypto/tls works, not while Read waits

	// Shard mode: the shard goroutine only.
	onShard bool
	src     []byte       // ciphertext read from the socket this turn
	srcEOF  bool         // the socket reported end of stream
	sink    func([]byte) // appends ciphertext to the connection's outbound bytes
	// Records handed to crypto/tls (followed from the stream's first byte,
	// in both modes), so the shard knows when another Read
	// would only meet errWouldBlock (which costs crypto/tls an allocation):
	// recs counts whole records handed over since crypto/tls last asked for
	// more than it had (known), less one per Read that returned plaintext
	// (each such Read used at least one record), so it is never below the
	// whole records crypto/tls holds unread.
	recs    int
	known   bool // recs is exact: false until the first errWouldBlock after the handshake
	recHdr  [recordHeaderLen]byte
	recHave int // header bytes of the current record seen
	recLeft int // body bytes of the current record still to come

	local, remote net.Addr
}

// errWouldBlock is what the transport's Read returns in the shard mode
// when it has nothing more: crypto/tls sees a temporary net.Error and
// keeps the connection usable.
var errWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "shard: tls transport: no more input this turn" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// errTransportClosed fails a transport whose connection finished.
var errTransportClosed = errors.New("shard: connection closed")

func newTLSTransport(local, remote net.Addr, w *workerSem, post func([]byte) error) *tlsTransport {
	t := &tlsTransport{local: local, remote: remote, workers: w, post: post}
	t.cond.L = &t.mu
	return t
}

// Read implements net.Conn.
func (t *tlsTransport) Read(p []byte) (int, error) {
	if t.onShard {
		if len(t.rx) > t.rxOff { // fed during the handshake, not yet read by it
			n := copy(p, t.rx[t.rxOff:])
			t.count(p[:n])
			t.rxOff += n
			if t.rxOff == len(t.rx) {
				t.rx, t.rxOff = nil, 0
			}
			return n, nil
		}
		if len(t.src) == 0 {
			if t.srcEOF {
				return 0, io.EOF
			}
			return 0, errWouldBlock
		}
		n := copy(p, t.src)
		t.count(p[:n])
		t.src = t.src[n:]
		return n, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.rx) == t.rxOff && !t.eof && t.err == nil {
		// Waiting for the peer is no work: give the compute place back
		// for as long as it takes.
		t.mu.Unlock()
		t.workers.release()
		t.mu.Lock()
		for len(t.rx) == t.rxOff && !t.eof && t.err == nil {
			t.cond.Wait()
		}
		t.mu.Unlock()
		t.workers.acquire()
		t.mu.Lock()
	}
	if t.err != nil {
		return 0, t.err
	}
	if len(t.rx) == t.rxOff {
		return 0, io.EOF
	}
	n := copy(p, t.rx[t.rxOff:])
	// Followed from the stream's first byte: at the switch to the shard
	// mode crypto/tls may have stopped mid-record.
	t.count(p[:n])
	t.rxOff += n
	if t.rxOff == len(t.rx) {
		t.rx, t.rxOff = t.rx[:0], 0
	}
	return n, nil
}

// count follows the record framing of b, the next ciphertext handed to
// crypto/tls, adding its whole records to recs.
func (t *tlsTransport) count(b []byte) {
	for len(b) > 0 {
		if t.recLeft > 0 {
			k := min(t.recLeft, len(b))
			t.recLeft -= k
			b = b[k:]
			if t.recLeft == 0 {
				t.recs++
			}
			continue
		}
		k := copy(t.recHdr[t.recHave:], b)
		t.recHave += k
		b = b[k:]
		if t.recHave == recordHeaderLen {
			t.recHave = 0
			t.recLeft = int(t.recHdr[3])<<8 | int(t.recHdr[4])
			if t.recLeft == 0 {
				t.recs++
			}
		}
	}
}

// drained reports whether crypto/tls holds no whole record unread and the
// transport has nothing more to give it: a Read now would only block.
func (t *tlsTransport) drained() bool {
	return t.known && t.recs == 0 && len(t.src) == 0 && len(t.rx) == t.rxOff && !t.srcEOF
}

// Write implements net.Conn.
func (t *tlsTransport) Write(p []byte) (int, error) {
	if t.onShard {
		t.sink(p)
		return len(p), nil
	}
	t.mu.Lock()
	err := t.err
	t.mu.Unlock()
	if err != nil {
		return 0, err
	}
	// A post waits while the shard's inbox is full: that is no work, so
	// the compute place is not held meanwhile.
	t.workers.release()
	err = t.post(append([]byte(nil), p...))
	t.workers.acquire()
	if err != nil {
		t.fail(err)
		return 0, err
	}
	return len(p), nil
}

// feed adds ciphertext read from the socket during the handshake. It
// returns the bytes held now.
func (t *tlsTransport) feed(b []byte) int {
	t.mu.Lock()
	t.rx = append(t.rx, b...)
	n := len(t.rx) - t.rxOff
	t.mu.Unlock()
	t.cond.Signal()
	return n
}

// held returns the ciphertext fed and not yet read. Shard goroutine.
func (t *tlsTransport) held() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rx[t.rxOff:]
}

// closeRead records the peer's end of stream.
func (t *tlsTransport) closeRead() {
	t.mu.Lock()
	t.eof = true
	t.mu.Unlock()
	t.cond.Signal()
}

// fail ends the transport: a handshake waiting in Read returns err.
func (t *tlsTransport) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
	t.cond.Signal()
}

// Close implements net.Conn; the socket is the shard's, so it only fails
// the transport.
func (t *tlsTransport) Close() error {
	if !t.onShard {
		t.fail(errTransportClosed)
	}
	return nil
}

// LocalAddr implements net.Conn.
func (t *tlsTransport) LocalAddr() net.Addr { return t.local }

// RemoteAddr implements net.Conn: crypto/tls hands it to GetCertificate
// and friends (ClientHelloInfo.Conn).
func (t *tlsTransport) RemoteAddr() net.Addr { return t.remote }

// SetDeadline implements net.Conn. Deadlines are the shard's timers.
func (t *tlsTransport) SetDeadline(time.Time) error { return nil }

// SetReadDeadline implements net.Conn.
func (t *tlsTransport) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline implements net.Conn.
func (t *tlsTransport) SetWriteDeadline(time.Time) error { return nil }

// workerSem bounds the handshakes computing at once. A nil *workerSem
// bounds nothing.
type workerSem struct{ ch chan struct{} }

func newWorkerSem(n int) *workerSem { return &workerSem{ch: make(chan struct{}, n)} }

func (w *workerSem) acquire() {
	if w != nil {
		w.ch <- struct{}{}
	}
}

func (w *workerSem) release() {
	if w != nil {
		<-w.ch
	}
}

// The record layer as far as the shard looks at it before a handshake
// starts: a server waits for the whole first handshake message (the
// ClientHello), which costs no goroutine, and turns away what is not TLS at
// its first bytes.
const (
	recordHeaderLen  = 5
	recordHandshake  = 22
	maxCiphertext    = 16384 + 2048 // the largest record a peer may send (RFC 5246 6.2.3)
	maxHelloLen      = 65536        // crypto/tls's cap on one handshake message
	msgTypeHello     = 1
	maxHandshakeFeed = 256 << 10 // ciphertext a handshake may have waiting: hello, or a certificate flight
)

// errRecordOverflow is the TLSError cause of a record over maxCiphertext.
var errRecordOverflow = errors.New("tls: oversized record received")

// errNotHello is the TLSError cause of a first handshake message that is
// not a ClientHello.
var errNotHello = errors.New("tls: first handshake message is not a ClientHello")

// helloReady reports whether b, the first bytes a client sent, holds its
// whole ClientHello. It fails with ErrNotTLS if b does not start like a TLS
// record of a handshake, or with a *TLSError for a record too long or a
// first message that is not a ClientHello. It never reads past b.
func helloReady(b []byte) (bool, error) {
	var p helloParse
	return p.ready(b)
}

// helloParse is helloReady resumable: a server's first bytes arrive over
// many reads, and looking at them again from the first byte at each read
// would cost a trickling peer's shard quadratic work (a hello may be sent
// as one-byte records).
type helloParse struct {
	off  int     // bytes of whole records already parsed
	hdr  [4]byte // the handshake message header, maybe split over records
	have int     // header and body bytes of the message seen
	want int     // the message body's length; -1 until the header is whole
	init bool
	recs int // records parsed, in all calls: linear in the bytes, however they come
}

// ready goes on parsing b, the same bytes as at the last call and maybe
// more after them, from the first record not yet parsed.
func (p *helloParse) ready(b []byte) (bool, error) {
	if !p.init {
		p.init, p.want = true, -1
	}
	for len(b) > p.off {
		r := b[p.off:]
		if r[0] != recordHandshake || (len(r) > 1 && r[1] != 3) {
			return false, ErrNotTLS
		}
		if len(r) < recordHeaderLen {
			return false, nil
		}
		n := int(r[3])<<8 | int(r[4])
		switch {
		case n > maxCiphertext:
			return false, &TLSError{Op: "handshake", Err: errRecordOverflow}
		case n == 0:
			return false, &TLSError{Op: "handshake", Err: errors.New("tls: empty handshake record")}
		case len(r) < recordHeaderLen+n:
			return false, nil
		}
		frag := r[recordHeaderLen : recordHeaderLen+n]
		p.off += recordHeaderLen + n
		p.recs++
		for p.have < 4 && len(frag) > 0 {
			p.hdr[p.have] = frag[0]
			frag = frag[1:]
			p.have++
		}
		if p.have < 4 {
			continue
		}
		if p.want < 0 {
			if p.hdr[0] != msgTypeHello {
				return false, &TLSError{Op: "handshake", Err: errNotHello}
			}
			p.want = int(p.hdr[1])<<16 | int(p.hdr[2])<<8 | int(p.hdr[3])
			if p.want > maxHelloLen {
				return false, &TLSError{Op: "handshake", Err: errors.New("tls: ClientHello too long")}
			}
		}
		p.have += len(frag)
		if p.have >= 4+p.want {
			return true, nil
		}
	}
	return false, nil
}

// looksHTTP reports whether b starts like a plain HTTP request, which a
// TLS listener answers with a 400 before closing.
func looksHTTP(b []byte) bool {
	for _, m := range [...]string{"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "} {
		n := min(len(b), len(m))
		if n >= 3 && string(b[:n]) == m[:n] {
			return true
		}
	}
	return false
}

// httpOnTLS is what a TLS listener writes to a client that sent plain
// HTTP, as Go's net/http does.
const httpOnTLS = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
