package stdecho

import (
	"errors"
	"net"
)

// DefaultBufSize is the per-connection buffer: io.Copy's default, 32 KiB.
const DefaultBufSize = 32 << 10

// Serve accepts connections on ln until ln is closed and echoes each one in
// its own goroutine, reading into a buffer of bufSize bytes (DefaultBufSize
// if bufSize <= 0) and writing back what it read. It returns nil once ln is
// closed, or the accept error that stopped it. Connections still open when
// Serve returns are left to finish on their own; they end when their peer
// closes.
func Serve(ln net.Listener, bufSize int) error {
	if bufSize <= 0 {
		bufSize = DefaultBufSize
	}
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
		go echo(c, bufSize)
	}
}

// echo copies c to itself until either direction fails.
func echo(c net.Conn, bufSize int) {
	defer c.Close()
	buf := make([]byte, bufSize)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
