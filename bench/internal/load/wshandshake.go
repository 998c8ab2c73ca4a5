package load

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// wsGUID is what RFC 6455 appends to the client's key before hashing it into
// the server's Sec-WebSocket-Accept.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsHandshake upgrades c to a WebSocket: it sends a GET with a random
// Sec-WebSocket-Key for host, reads the response head and checks that it is
// a 101 with the matching Sec-WebSocket-Accept and nothing after it. The
// whole exchange must end within timeout. It allocates; it runs once per
// connection, before any message.
func wsHandshake(c *net.TCPConn, host string, timeout time.Duration) error {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // never fails (crypto/rand panics instead)
	key := base64.StdEncoding.EncodeToString(raw[:])
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"

	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := c.Write([]byte(req)); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	br := bufio.NewReaderSize(c, 1024)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	_ = resp.Body.Close()
	want := wsAccept(key)
	switch {
	case resp.StatusCode != http.StatusSwitchingProtocols:
		return fmt.Errorf("%w: status %q, want 101", ErrHandshake, resp.Status)
	case !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"):
		return fmt.Errorf("%w: Upgrade %q, want websocket", ErrHandshake, resp.Header.Get("Upgrade"))
	case resp.Header.Get("Sec-WebSocket-Accept") != want:
		return fmt.Errorf("%w: Sec-WebSocket-Accept %q, want %q", ErrHandshake, resp.Header.Get("Sec-WebSocket-Accept"), want)
	case br.Buffered() > 0:
		return fmt.Errorf("%w: %d unexpected bytes after the response", ErrHandshake, br.Buffered())
	}
	return c.SetDeadline(time.Time{})
}

// wsAccept returns the Sec-WebSocket-Accept a server must answer key with.
func wsAccept(key string) string {
	sum := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}
