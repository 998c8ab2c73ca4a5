package hubroom

import (
	"bufio"
	"errors"
	"net"
	"sync"
)

// DefaultSendQueue is the lines a member's queue holds before the hub drops
// the member: the classic example's 256.
const DefaultSendQueue = 256

// readBufSize is the reader's bufio size; a line longer than it is cut.
const readBufSize = 4 << 10

// client is one member. conn and send are set before the client is
// registered and never change; send is closed only by the hub goroutine.
type client struct {
	conn net.Conn
	send chan []byte // lines to write, owned (closed) by the hub
}

// hub owns the membership: clients is touched only by its run goroutine.
type hub struct {
	clients    map[*client]struct{}
	register   chan *client
	unregister chan *client
	broadcast  chan []byte
	done       chan struct{} // closed when Serve stops: everyone exits
}

// Serve accepts connections on ln until ln is closed; every line (up to and
// including '\n') any connection sends is written to every connection,
// the sender included. Each member's queue holds sendQueue lines
// (DefaultSendQueue if <= 0); a member whose queue is full is dropped.
// Serve returns nil once ln is closed, after closing every connection and
// waiting for every goroutine it started, or the accept error that stopped it.
func Serve(ln net.Listener, sendQueue int) error {
	if sendQueue <= 0 {
		sendQueue = DefaultSendQueue
	}
	h := &hub{
		clients:    map[*client]struct{}{},
		register:   make(chan *client),
		unregister: make(chan *client),
		broadcast:  make(chan []byte),
		done:       make(chan struct{}),
	}
	var wg sync.WaitGroup
	stopped := make(chan struct{})
	wg.Go(func() {
		h.run()
		close(stopped)
	})
	err := accept(ln, h, sendQueue, &wg)
	close(h.done)
	<-stopped
	wg.Wait()
	return err
}

// accept registers each new connection with the hub, then starts its reader
// and writer.
func accept(ln net.Listener, h *hub, sendQueue int, wg *sync.WaitGroup) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		cl := &client{conn: c, send: make(chan []byte, sendQueue)}
		h.register <- cl // before the reader starts, so its own lines reach it
		wg.Go(func() { h.read(cl) })
		wg.Go(func() { cl.write() })
	}
}

// run is the hub goroutine: membership changes and fan-out, until done.
func (h *hub) run() {
	for {
		select {
		case c := <-h.register:
			h.clients[c] = struct{}{}
		case c := <-h.unregister:
			h.drop(c)
		case line := <-h.broadcast:
			for c := range h.clients {
				select {
				case c.send <- line:
				default: // queue full: drop the slow member
					h.drop(c)
				}
			}
		case <-h.done:
			for c := range h.clients {
				_ = c.conn.Close()
				h.drop(c)
			}
			return
		}
	}
}

// drop forgets c and closes its queue, if c is still a member.
func (h *hub) drop(c *client) {
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.send)
	}
}

// read hands every line c sends to the hub, each in a fresh slice, until the
// connection fails or the server stops; then it leaves the room.
func (h *hub) read(c *client) {
	defer func() {
		select {
		case h.unregister <- c:
		case <-h.done:
		}
		_ = c.conn.Close()
	}()
	r := bufio.NewReaderSize(c.conn, readBufSize)
	for {
		b, err := r.ReadSlice('\n')
		if len(b) > 0 && (err == nil || errors.Is(err, bufio.ErrBufferFull)) {
			line := append([]byte(nil), b...)
			select {
			case h.broadcast <- line:
			case <-h.done:
				return
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// write writes every line queued for c; whatever queued up meanwhile goes
// out in the same flush. It closes the connection when the hub closes the
// queue or a write fails (and then discards until the queue is closed).
func (c *client) write() {
	w := bufio.NewWriterSize(c.conn, readBufSize)
	defer c.conn.Close()
	for line := range c.send {
		_, _ = w.Write(line)
		for n := len(c.send); n > 0; n-- {
			_, _ = w.Write(<-c.send)
		}
		if err := w.Flush(); err != nil {
			_ = c.conn.Close()
			for range c.send { // the reader's error makes the hub close it
			}
			return
		}
	}
}
