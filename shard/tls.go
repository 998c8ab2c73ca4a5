package shard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// TLS connections. A listener (or a dialled socket) whose Limits.TLS is set
// runs crypto/tls between the socket and its codec:
//
//   - Until its handshake is done a connection is pending (flagPending): the
//     handler has not seen it. A server waits, on the shard, for the whole
//     ClientHello; a connection that has sent nothing, or only part of it,
//     costs no goroutine. What is not TLS is turned away at its first bytes.
//   - The handshake itself runs on a goroutine of its own, because
//     crypto/tls cannot resume a handshake that would block; the shard
//     feeds it the socket's bytes and writes what it asks to send. At most
//     Config.MaxHandshakes run at once (the rest wait on their shard) and
//     at most Config.TLSWorkers compute at once: a handshake waiting for
//     its peer's next flight gives its place back.
//   - Once done, records are decrypted and sealed on the shard: the socket's
//     bytes go through the transport into crypto/tls, plaintext comes out
//     to the codec; what the handler writes this turn (c.out, plaintext) is
//     sealed into ciphertext at the flush and written like any output.

// DefaultTLSHandshakeTimeout bounds a TLS handshake when Limits sets none.
const DefaultTLSHandshakeTimeout = 10 * time.Second

type tlsPhase uint8

const (
	tlsHello   tlsPhase = iota // server: waiting for the whole ClientHello
	tlsQueued                  // waiting for a handshake place
	tlsRunning                 // the handshake goroutine runs
	tlsDone                    // established: records on the shard
)

// tlsState is one TLS connection's state, kept by slot.
type tlsState struct {
	conn    *tls.Conn
	tr      *tlsTransport
	wire    *buffer              // ciphertext not yet taken by the socket
	state   *tls.ConnectionState // once established
	timer   TimerID              // the handshake deadline
	phase   tlsPhase
	readEOF bool       // the peer closed its side during the handshake
	paused  bool       // not read during the handshake: its input is at maxHandshakeFeed
	hello   helloParse // a server's look at its first bytes, resumed at each read
	bye     bool       // close_notify queued
	failed  bool       // counted in TLSFailures
}

// tlsDeadline is the message of a TLS handshake's timer.
type tlsDeadline struct{}

// tlsOf returns c's TLS state, or nil.
func (s *Shard) tlsOf(c *Conn) *tlsState {
	if c.flags&flagTLS == 0 || int(c.slot) >= len(s.tlss) {
		return nil
	}
	return s.tlss[c.slot]
}

// TLSState returns the negotiated state of c's TLS connection once its
// handshake is done, or nil (not TLS, or not established). Shard goroutine
// only.
func (s *Shard) TLSState(c *Conn) *tls.ConnectionState {
	if ts := s.tlsOf(c); ts != nil {
		return ts.state
	}
	return nil
}

// startTLS begins c's TLS: a client starts its handshake at once, a server
// waits for the ClientHello.
func (s *Shard) startTLS(c *Conn) {
	l := c.lis
	for int(c.slot) >= len(s.tlss) {
		s.tlss = append(s.tlss, nil)
	}
	ts := &tlsState{}
	s.tlss[c.slot] = ts
	c.flags |= flagTLS | flagPending
	addr := s.Addr(c)
	ts.tr = newTLSTransport(s.LocalAddr(c), s.RemoteAddr(c), s.set.tlsWorkers, func(b []byte) error {
		return s.postCall(func() { s.handshakeOutput(addr, ts, b) })
	})
	d := l.limits.HandshakeTimeout
	if d <= 0 {
		d = DefaultTLSHandshakeTimeout
	}
	ts.timer = s.After(d, 0, addr, tlsDeadline{})
	if l.client {
		s.queueHandshake(c, ts)
	}
}

// consumeTLS takes ciphertext read from c's socket.
func (s *Shard) consumeTLS(c *Conn, ts *tlsState, data []byte) {
	if ts.phase == tlsDone {
		s.readTLS(c, ts, data)
		return
	}
	n := ts.tr.feed(data)
	if ts.phase != tlsHello {
		// A TLS 1.3 client may send data as soon as it has sent its
		// Finished, before the server has read it: past the bound the
		// socket is not read until the handshake is done, so TCP holds
		// the client back.
		if n >= maxHandshakeFeed && !ts.paused {
			ts.paused = true
			s.poller.Modify(int(c.fd), connToken(c), s.interest(c))
		}
		return
	}
	if n > maxHandshakeFeed { // no ClientHello is that long
		s.tlsFail(c, ts, &TLSError{Op: "handshake", Err: errors.New("tls: handshake input over 256 KiB")})
		return
	}
	held := ts.tr.held()
	ok, err := ts.hello.ready(held)
	switch {
	case err != nil:
		if err == ErrNotTLS && looksHTTP(held) {
			s.rawOutput(c, []byte(httpOnTLS))
		}
		s.tlsFail(c, ts, err)
	case ok:
		s.queueHandshake(c, ts)
	}
}

// queueHandshake starts c's handshake, or queues it until a place frees.
func (s *Shard) queueHandshake(c *Conn, ts *tlsState) {
	if s.hsActive < s.hsMax {
		s.hsActive++
		s.runHandshake(c, ts)
		return
	}
	ts.phase = tlsQueued
	s.hsWait = append(s.hsWait, s.Addr(c))
	s.stats.tlsWaiting.Store(int64(len(s.hsWait)))
}

// unqueue takes the connection at addr off the handshake queue.
func (s *Shard) unqueue(addr uint64) {
	for i, a := range s.hsWait {
		if a == addr {
			s.hsWait = append(s.hsWait[:i], s.hsWait[i+1:]...)
			break
		}
	}
	s.stats.tlsWaiting.Store(int64(len(s.hsWait)))
}

// nextHandshakes starts queued handshakes while places are free.
func (s *Shard) nextHandshakes() {
	for s.hsActive < s.hsMax && len(s.hsWait) > 0 {
		addr := s.hsWait[0]
		s.hsWait = s.hsWait[1:]
		if len(s.hsWait) == 0 {
			s.hsWait = s.hsWait[:0:0] // let a burst's queue go
		}
		s.stats.tlsWaiting.Store(int64(len(s.hsWait)))
		c := s.table.lookup(AddrSlot(addr), AddrGen(addr))
		if c == nil || c.state != stateOpen {
			continue
		}
		if ts := s.tlsOf(c); ts != nil && ts.phase == tlsQueued {
			s.hsActive++
			s.runHandshake(c, ts)
		}
	}
}

// runHandshake runs c's handshake on a goroutine of its own, which posts
// its outcome back to the shard.
func (s *Shard) runHandshake(c *Conn, ts *tlsState) {
	ts.phase = tlsRunning
	s.stats.tlsRunning.Store(int64(s.hsActive))
	cfg := c.lis.limits.TLS
	if c.lis.client {
		ts.conn = tls.Client(ts.tr, cfg)
	} else {
		ts.conn = tls.Server(ts.tr, cfg)
	}
	addr, conn, w := s.Addr(c), ts.conn, s.set.tlsWorkers
	s.set.hsRunning.Add(1)
	go func() {
		defer s.set.hsRunning.Done()
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("shoal.tls", "handshake")))
		err := s.handshake(conn, w)
		_ = s.postCall(func() { s.handshakeDone(addr, ts, err) }) // fails only once the shard stopped: nobody waits for the place then
	}()
}

// handshake runs conn's handshake holding a worker place (given back while
// it waits for the peer). A panic in the configuration's callbacks
// (GetCertificate, VerifyPeerCertificate, ...) fails this handshake only,
// as net/http's server does.
func (s *Shard) handshake(conn *tls.Conn, w *workerSem) (err error) {
	w.acquire()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tls: handshake callback panicked: %v", r)
			s.set.log.Error("tls handshake callback panicked", "shard", s.index, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
		w.release() // callbacks run holding the place (never inside the transport's wait)
	}()
	return conn.Handshake() // no context: one would cost a goroutine more; the shard's timer fails the transport
}

// postCall runs fn on s from another goroutine. A full inbox is waited
// out, however long it stays full: a handshake's output and outcome must
// not be lost (the outcome gives its place back). It fails only once s has
// stopped.
func (s *Shard) postCall(fn func()) error {
	for {
		e := envelope{kind: kindCall, msg: fn}
		err := s.set.put(s, &e)
		if err != ErrInboxFull {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

// live returns the connection at addr if ts is still its TLS state.
func (s *Shard) live(addr uint64, ts *tlsState) *Conn {
	c := s.table.lookup(AddrSlot(addr), AddrGen(addr))
	if c == nil || c.state == stateFree || c.fd < 0 || s.tlsOf(c) != ts {
		return nil
	}
	return c
}

// handshakeOutput queues bytes the handshake writes.
func (s *Shard) handshakeOutput(addr uint64, ts *tlsState, b []byte) {
	if c := s.live(addr, ts); c != nil {
		s.rawOutput(c, b)
	}
}

// rawOutput queues bytes for c's socket as they are, bypassing TLS (a
// handshake flight, an HTTP answer to a plain request).
func (s *Shard) rawOutput(c *Conn, b []byte) {
	ts := s.tlsOf(c)
	if ts == nil {
		s.writeRaw(c, b)
		return
	}
	if ts.wire == nil {
		ts.wire = s.pool.get()
	}
	ts.wire.b = append(ts.wire.b, b...)
	s.markDirty(c)
}

// handshakeDone takes a handshake's outcome: its place goes to the next
// waiting one, and c is established or closed.
func (s *Shard) handshakeDone(addr uint64, ts *tlsState, err error) {
	s.hsActive--
	s.stats.tlsRunning.Store(int64(s.hsActive))
	defer s.nextHandshakes()
	c := s.live(addr, ts)
	if c == nil || c.state != stateOpen {
		return
	}
	if err != nil {
		s.tlsFail(c, ts, &TLSError{Op: "handshake", Err: err})
		return
	}
	s.established(c, ts)
}

// established switches c's TLS to the shard and opens it.
func (s *Shard) established(c *Conn, ts *tlsState) {
	ts.phase = tlsDone
	if ts.timer != (TimerID{}) {
		s.CancelTimer(ts.timer)
		ts.timer = TimerID{}
	}
	tr := ts.tr
	tr.onShard = true // the handshake goroutine is done with tr: its outcome came through the inbox
	if tr.rxOff == len(tr.rx) {
		tr.rx, tr.rxOff = nil, 0 // an idle connection keeps no handshake buffer
	}
	tr.srcEOF = ts.readEOF
	if ts.paused {
		ts.paused = false
		s.poller.Modify(int(c.fd), connToken(c), s.interest(c))
	}
	tr.sink = func(b []byte) {
		if ts.wire == nil {
			ts.wire = s.pool.get()
		}
		ts.wire.b = append(ts.wire.b, b...)
		s.markDirty(c) // crypto/tls may write inside a Read (a KeyUpdate's answer, an alert)
	}
	st := ts.conn.ConnectionState()
	ts.state = &st
	s.stats.tlsHandshakes.Add(1)
	if st.DidResume {
		s.stats.tlsResumed.Add(1)
	}
	c.flags &^= flagPending
	if c.lis.stream != nil {
		s.startStream(c)
	} else {
		s.h.Open(c, ts.state)
	}
	if c.state == stateOpen {
		// Bytes that came with the peer's last handshake flight (its
		// first request) are already here: no readiness will report them.
		s.readTLS(c, ts, nil)
	}
	if ts.readEOF && c.state == stateOpen {
		s.peerClosedTLS(c, ts)
	}
}

// handshakeExpiredTLS closes c if its TLS handshake is not done.
func (s *Shard) handshakeExpiredTLS(c *Conn) {
	ts := s.tlsOf(c)
	if ts == nil || ts.phase == tlsDone {
		return
	}
	ts.timer = TimerID{}
	s.tlsFail(c, ts, ErrHandshakeTimeout)
}

// tlsFail closes c for a TLS failure, counted once, flushing what is queued
// (an alert, an HTTP answer) first.
func (s *Shard) tlsFail(c *Conn, ts *tlsState, err error) {
	if !ts.failed {
		ts.failed = true
		s.stats.tlsFailures.Add(1)
	}
	if ts.phase != tlsDone {
		ts.tr.fail(errTransportClosed)
	}
	s.Close(c, err)
}

// readTLS feeds data, ciphertext from the socket, to crypto/tls and
// delivers the plaintext that comes out.
func (s *Shard) readTLS(c *Conn, ts *tlsState, data []byte) {
	if len(s.plainBuf) == 0 {
		s.plainBuf = make([]byte, 16<<10)
	}
	err := openRecords(ts.conn, ts.tr, data, s.plainBuf, func(p []byte) bool {
		s.consume(c, p)
		return c.state == stateOpen
	})
	switch {
	case err == io.EOF: // close_notify, or the socket's end at a record boundary
		s.closedAfterInput(c)
	case err != nil:
		s.tlsFail(c, ts, &TLSError{Op: "read", Err: err})
	}
}

// openRecords hands data, ciphertext, to conn through its transport tr (in
// the shard mode) and each piece of plaintext that comes out to deliver,
// while deliver reports true. It returns nil once crypto/tls needs more
// input, io.EOF at the peer's end (a close_notify, or the end of the
// stream at a record boundary), or crypto/tls's error. buf holds the
// plaintext of one record.
func openRecords(conn *tls.Conn, tr *tlsTransport, data, buf []byte, deliver func([]byte) bool) error {
	tr.src = data
	err := error(nil)
	for !tr.drained() {
		n, rerr := conn.Read(buf)
		if n > 0 {
			if tr.recs > 0 {
				tr.recs-- // a Read that returned plaintext used at least one record
			}
			if !deliver(buf[:n]) {
				break
			}
			if rerr == nil {
				continue
			}
		}
		if rerr == errWouldBlock {
			tr.recs, tr.known = 0, true
		} else {
			err = rerr
		}
		break
	}
	tr.src = nil
	return err
}

// peerClosedTLS is peerClosed for a TLS connection. Once established,
// crypto/tls is told of the end of stream first, so a record cut short is an
// error (and a close_notify before it was already an end).
func (s *Shard) peerClosedTLS(c *Conn, ts *tlsState) {
	if ts.phase != tlsDone {
		s.peerClosedHandshake(c, ts)
		return
	}
	ts.tr.srcEOF = true
	s.readTLS(c, ts, nil) // ends with io.EOF, or the cut record's error
}

// peerClosedHandshake handles the peer's end of stream before c's handshake
// is done: a server still waiting for the ClientHello closes; a running
// handshake sees the end (it may still complete, with the peer's last
// flight) and the socket stops being polled for reading.
func (s *Shard) peerClosedHandshake(c *Conn, ts *tlsState) {
	if ts.phase != tlsRunning {
		s.tlsFail(c, ts, &TLSError{Op: "handshake", Err: io.ErrUnexpectedEOF})
		return
	}
	if ts.readEOF {
		return
	}
	ts.readEOF = true
	ts.tr.closeRead()
	s.poller.Modify(int(c.fd), connToken(c), s.interest(c))
}

// interest is what c's socket is polled for.
func (s *Shard) interest(c *Conn) reactor.Events {
	var ev reactor.Events
	if c.state == stateOpen {
		if ts := s.tlsOf(c); ts == nil || !(ts.readEOF || ts.paused) {
			ev = reactor.Readable
		}
	}
	if c.flags&flagWantWrite != 0 {
		ev |= reactor.Writable
	}
	return ev
}

// sealTLS seals the plaintext c's handler wrote (c.out: own bytes and shared
// segments, in order) into ts.wire, and the close_notify of a closing
// connection after it.
func (s *Shard) sealTLS(c *Conn, ts *tlsState) error {
	if ts.phase != tlsDone {
		return nil
	}
	var err error
	if out := c.out; out != nil {
		pos := out.off
		for _, sg := range out.segs {
			if sg.at > pos && err == nil {
				_, err = ts.conn.Write(out.b[pos:sg.at])
			}
			pos = max(pos, sg.at)
			if err == nil {
				_, err = ts.conn.Write(sg.p)
			}
		}
		if pos < len(out.b) && err == nil {
			_, err = ts.conn.Write(out.b[pos:])
		}
		s.pool.put(out)
		c.out = nil
	}
	if c.state == stateClosing && !ts.bye && c.flags&flagReset == 0 {
		ts.bye = true
		_ = ts.conn.CloseWrite() // close_notify; a failed connection has nothing to say
	}
	if err != nil {
		return &TLSError{Op: "write", Err: err}
	}
	return nil
}

// endTLS releases c's TLS state once c is finished; a running handshake
// sees its transport fail and ends.
func (s *Shard) endTLS(c *Conn, ts *tlsState) {
	if ts.timer != (TimerID{}) {
		s.CancelTimer(ts.timer)
	}
	if ts.phase == tlsQueued {
		s.unqueue(s.Addr(c))
	}
	if ts.phase != tlsDone {
		ts.tr.fail(errTransportClosed)
		if !ts.failed {
			// Closed before its handshake ended (a stop, a listener
			// shut down, a reset): not established, so counted a failure.
			ts.failed = true
			s.stats.tlsFailures.Add(1)
		}
	}
	if ts.wire != nil {
		s.pool.put(ts.wire)
		ts.wire = nil
	}
	ts.tr.sink, ts.tr.src = nil, nil
	s.tlss[c.slot] = nil
}

// LocalAddr returns the local address of c's socket, or nil.
func (s *Shard) LocalAddr(c *Conn) net.Addr {
	if c.fd < 0 || c.lis == nil || c.flags&flagPacket != 0 {
		return nil
	}
	sa, err := unix.Getsockname(int(c.fd))
	if err != nil {
		return nil
	}
	return reactor.SockaddrToAddr(c.lis.network, sa)
}
