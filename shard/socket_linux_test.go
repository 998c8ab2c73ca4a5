package shard

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// SocketOptions reach the socket: TCP_NODELAY unless Nagle, keep-alive with
// its period, and the buffer sizes (at least what was asked: Linux doubles
// them); the zero value only turns Nagle off.
func TestSocketOptionsApply(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	get := func(level, opt int) int {
		var v int
		var gerr error
		if err := raw.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) }); err != nil {
			t.Fatal(err)
		}
		if gerr != nil {
			t.Fatal(gerr)
		}
		return v
	}
	apply := func(o SocketOptions) {
		t.Helper()
		var aerr error
		if err := raw.Control(func(fd uintptr) { aerr = o.apply(int(fd), true) }); err != nil {
			t.Fatal(err)
		}
		if aerr != nil {
			t.Fatalf("apply %+v: %v", o, aerr)
		}
	}

	apply(SocketOptions{Nagle: true})
	if get(unix.IPPROTO_TCP, unix.TCP_NODELAY) != 0 {
		t.Fatal("Nagle: TCP_NODELAY still set")
	}
	apply(SocketOptions{KeepAlive: 42 * time.Second, RecvBuffer: 96 << 10, SendBuffer: 160 << 10})
	if get(unix.IPPROTO_TCP, unix.TCP_NODELAY) != 1 {
		t.Fatal("the default does not turn Nagle off")
	}
	if get(unix.SOL_SOCKET, unix.SO_KEEPALIVE) != 1 || get(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE) != 42 || get(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL) != 42 {
		t.Fatal("keep-alive not set to 42 s")
	}
	if got := get(unix.SOL_SOCKET, unix.SO_RCVBUF); got < 96<<10 {
		t.Fatalf("SO_RCVBUF %d, asked for %d", got, 96<<10)
	}
	if got := get(unix.SOL_SOCKET, unix.SO_SNDBUF); got < 160<<10 {
		t.Fatalf("SO_SNDBUF %d, asked for %d", got, 160<<10)
	}
	for _, bad := range []SocketOptions{{KeepAlive: -1}, {RecvBuffer: -1}, {SendBuffer: -5}} {
		if bad.validate() == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
}
