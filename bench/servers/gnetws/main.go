// Command gnetws is a WebSocket echo server on gnet v2 and gobwas/ws, written
// the way gnet's own WebSocket example is (a state machine per connection
// over the inbound buffer, no goroutine per connection), the peer Shoal's
// WebSocket echo is compared with by bench/cmd/compare (-scenarios ws).
//
//	gnetws -addr 127.0.0.1:9006 [-multicore]
//
// A connection starts in the handshake state: once a complete request head
// is buffered, ws.Upgrade reads it from a reader over exactly those bytes and
// writes the 101 response with c.Write. Then every OnTraffic parses the whole
// frames buffered (ws.ReadHeaderBuffer over the same bytes, a partial frame
// stays buffered), answers a ping with a pong, a close with a close (and
// closes), and echoes every data frame with its opcode and FIN bit, unmasked.
// The replies of one turn are appended to one buffer and written with one
// c.Write: one system call per turn however many frames it read.
package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// Limits on what a client may send.
const (
	maxRequestHead = 8 << 10 // bytes of handshake request head
	maxPayload     = 1 << 20 // bytes of one frame's payload
)

var (
	headEnd = []byte("\r\n\r\n")
	// errProtocol ends a connection that broke RFC 6455's rules for clients.
	errProtocol = errors.New("gnetws: protocol error")
)

// server echoes WebSocket messages. Each connection's state is in its
// context.
type server struct {
	gnet.BuiltinEventEngine
	booted chan<- struct{} // if not nil, closed once the engine accepts connections
}

// OnBoot reports that the engine is up.
func (s *server) OnBoot(gnet.Engine) gnet.Action {
	if s.booted != nil {
		close(s.booted)
	}
	return gnet.None
}

// wsConn is one connection's state. It is touched only by its event loop.
type wsConn struct {
	upgraded bool                   // the handshake is done
	in       byteReader             // over the bytes peeked this turn
	hdr      [ws.MaxHeaderSize]byte // scratch for ws.ReadHeaderBuffer and ws.WriteHeaderBuffer
	out      []byte                 // replies of this turn; kept for its capacity
}

// byteReader reads a byte slice. Unlike bytes.Reader it is reset in place,
// so that reading frame headers from the inbound bytes allocates nothing.
type byteReader struct {
	b   []byte
	off int
}

func (r *byteReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

// rw is the io.ReadWriter ws.Upgrade needs: it reads the request head and
// writes the response to the connection.
type rw struct {
	io.Reader
	io.Writer
}

// OnOpen gives c its state.
func (*server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(new(wsConn))
	return nil, gnet.None
}

// OnTraffic runs c's handshake or echoes its complete frames. gnet calls it
// on c's event loop.
func (*server) OnTraffic(c gnet.Conn) gnet.Action {
	wc := c.Context().(*wsConn)
	if !wc.upgraded {
		done, action := wc.upgrade(c)
		if !done || action != gnet.None {
			return action
		}
	}
	buf, _ := c.Peek(-1)
	used, closing, err := wc.echo(buf)
	wc.in = byteReader{} // buf is gnet's; do not hold it past this turn
	if used > 0 {
		_, _ = c.Discard(used) // Discard(0) would discard everything
	}
	if len(wc.out) > 0 {
		_, _ = c.Write(wc.out) // copies what the socket does not take at once
		wc.out = wc.out[:0]
	}
	if err != nil || closing {
		return gnet.Close
	}
	return gnet.None
}

// upgrade answers the handshake once its request head is buffered. It
// reports whether the connection is upgraded, and gnet.Close for a bad or
// oversized request (ws.Upgrade has written the error response then).
func (wc *wsConn) upgrade(c gnet.Conn) (bool, gnet.Action) {
	buf, _ := c.Peek(-1)
	end := bytes.Index(buf, headEnd)
	if end < 0 {
		if len(buf) > maxRequestHead {
			return false, gnet.Close
		}
		return false, gnet.None // wait for the rest of the head
	}
	end += len(headEnd)
	if _, err := ws.Upgrade(rw{bytes.NewReader(buf[:end]), c}); err != nil {
		return false, gnet.Close
	}
	_, _ = c.Discard(end)
	wc.upgraded = true
	return true, gnet.None
}

// echo parses the complete frames at the front of buf and appends their
// replies to wc.out. It returns the bytes it consumed, whether a close frame
// was answered (nothing after it is read), and an error for a frame that
// breaks the protocol.
func (wc *wsConn) echo(buf []byte) (used int, closing bool, err error) {
	wc.in = byteReader{b: buf}
	for {
		h, err := ws.ReadHeaderBuffer(&wc.in, wc.hdr[:])
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return used, false, nil // partial header: wait for more
			}
			return used, false, err
		}
		if !h.Masked || h.Rsv != 0 || h.Length > maxPayload ||
			(h.OpCode.IsControl() && (!h.Fin || h.Length > 125)) || h.OpCode.IsReserved() {
			return used, false, errProtocol
		}
		start, n := wc.in.off, int(h.Length)
		if len(buf)-start < n {
			return used, false, nil // partial payload: wait for more
		}
		wc.in.off += n
		used = wc.in.off
		payload := buf[start : start+n]
		switch h.OpCode {
		case ws.OpPong:
			continue
		case ws.OpPing:
			wc.reply(ws.Header{Fin: true, OpCode: ws.OpPong, Length: h.Length}, payload, h.Mask)
		case ws.OpClose:
			// Echo the status code (not the reason): the usual close reply.
			body := payload[:min(n, 2)]
			wc.reply(ws.Header{Fin: true, OpCode: ws.OpClose, Length: int64(len(body))}, body, h.Mask)
			return used, true, nil
		default: // text, binary, continuation: same opcode and FIN
			wc.reply(ws.Header{Fin: h.Fin, OpCode: h.OpCode, Length: h.Length}, payload, h.Mask)
		}
	}
}

// reply appends a server frame with header h and the masked payload p,
// unmasked, to wc.out.
func (wc *wsConn) reply(h ws.Header, p []byte, mask [4]byte) {
	_ = ws.WriteHeaderBuffer(wc, h, wc.hdr[:]) // appends to wc.out; cannot fail
	start := len(wc.out)
	wc.out = append(wc.out, p...)
	ws.Cipher(wc.out[start:], mask, 0)
}

// Write appends p to the replies of this turn; it is how ws.WriteHeaderBuffer
// hands over the header it encoded.
func (wc *wsConn) Write(p []byte) (int, error) {
	wc.out = append(wc.out, p...)
	return len(p), nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9006", "TCP address to listen on")
	multicore := flag.Bool("multicore", false, "one event loop per CPU (off: a single event loop)")
	reuseport := flag.Bool("reuseport", false, "set SO_REUSEPORT on the listener")
	flag.Parse()

	log.Printf("gnetws listening on %s (multicore=%v)", *addr, *multicore)
	err := gnet.Run(&server{}, "tcp://"+*addr,
		gnet.WithMulticore(*multicore),
		gnet.WithReusePort(*reuseport),
		gnet.WithLogLevel(logging.WarnLevel),
	)
	if err != nil {
		log.Fatal(err)
	}
}
