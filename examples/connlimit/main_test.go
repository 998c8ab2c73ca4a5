package main

import (
	"bufio"
	"context"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"
)

// waitFor bounds every wait in these tests. Generous: nothing here asserts a
// duration.
const waitFor = 20 * time.Second

// start runs serve in the background and returns its address; the server is
// stopped, and serve's error checked, at cleanup.
func start(t *testing.T, max int, idle time.Duration) net.Addr {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	logger := log.New(testWriter{t}, "", 0)
	go func() { done <- serve(ctx, "127.0.0.1:0", max, idle, logger, func(a net.Addr) { addrs <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	select {
	case a := <-addrs:
		return a
	case err := <-done:
		t.Fatal(err)
	}
	return nil
}

// testWriter sends the server's log to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// client is one connection with a line reader.
type client struct {
	net.Conn
	r *bufio.Reader
}

func connect(t *testing.T, addr net.Addr) client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr.String(), waitFor)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(waitFor))
	t.Cleanup(func() { c.Close() })
	return client{Conn: c, r: bufio.NewReader(c)}
}

func (c client) line(t *testing.T) string {
	t.Helper()
	s, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, s)
	}
	return s
}

// served checks that c was greeted and gets its lines echoed.
func (c client) served(t *testing.T) {
	t.Helper()
	if got := c.line(t); !strings.HasPrefix(got, "hello, you are ") {
		t.Fatalf("greeting: got %q", got)
	}
	c.echoes(t)
}

// echoes checks that c gets a line echoed.
func (c client) echoes(t *testing.T) {
	t.Helper()
	io.WriteString(c, "ping\n")
	if got := c.line(t); got != "ping\n" {
		t.Fatalf("echo: got %q", got)
	}
}

func TestConnLimitRefusesThenServesAgain(t *testing.T) {
	addr := start(t, 2, time.Minute)
	first, second := connect(t, addr), connect(t, addr)
	first.served(t)
	second.served(t)

	third := connect(t, addr)
	got, err := io.ReadAll(third)
	if err != nil || string(got) != string(refusal) {
		t.Fatalf("third client: got %q, %v; want the refusal then EOF", got, err)
	}

	first.Close()
	// The server notices the close asynchronously: until it does, new
	// clients are still refused.
	deadline := time.Now().Add(waitFor)
	for {
		c := connect(t, addr)
		if line := c.line(t); strings.HasPrefix(line, "hello, you are ") {
			c.echoes(t)
			break
		} else if line != string(refusal) {
			t.Fatalf("unexpected line %q", line)
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("no room after a client left")
		}
		time.Sleep(10 * time.Millisecond) // poll interval, not synchronisation
	}
	second.echoes(t)
}

func TestConnLimitClosesIdleClients(t *testing.T) {
	addr := start(t, 2, 50*time.Millisecond)
	c := connect(t, addr)
	c.line(t) // the greeting
	if rest, err := io.ReadAll(c.r); err != nil || len(rest) != 0 {
		t.Fatalf("idle client: got %q, %v; want EOF", rest, err)
	}
}

func TestConnLimitRejectsBadFlags(t *testing.T) {
	logger := log.New(io.Discard, "", 0)
	if err := serve(context.Background(), "127.0.0.1:0", 0, time.Second, logger, func(net.Addr) {}); err == nil {
		t.Fatal("-max 0 accepted")
	}
}
