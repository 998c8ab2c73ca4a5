package main

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPushReachesEveryClient smoke-runs the example with a short interval:
// two clients each receive several ticks, numbered in increasing order, and
// serve returns after its context ends.
func TestPushReachesEveryClient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, "127.0.0.1:0", 2, 20*time.Millisecond, func(a net.Addr) { addrs <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatal(err)
	}

	var readers []*bufio.Reader
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		readers = append(readers, bufio.NewReader(c))
	}
	for i, r := range readers {
		last := 0
		for k := 0; k < 5; k++ {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			fields := strings.Fields(line)
			if len(fields) != 3 || fields[0] != "tick" {
				t.Fatalf("client %d: unexpected line %q", i, line)
			}
			n, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatalf("client %d: bad tick number in %q", i, line)
			}
			if n <= last {
				t.Fatalf("client %d: tick %d after tick %d", i, n, last)
			}
			last = n
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestPushRejectsBadInterval(t *testing.T) {
	if err := serve(context.Background(), "127.0.0.1:0", 1, 0, func(net.Addr) {}); err == nil {
		t.Fatal("zero interval accepted")
	}
}
