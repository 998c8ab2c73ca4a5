//go:build linux

package reactor

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// skipWithoutIPv6 skips the test if the loopback has no IPv6.
func skipWithoutIPv6(t *testing.T) {
	fd, _, err := Listen("tcp6", "[::1]:0", ListenOptions{})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	must(t, Close(fd))
}

func TestListen(t *testing.T) {
	tests := []struct {
		name     string
		network  string
		address  func(t *testing.T) string
		ipv6     bool
		wantAddr func(t *testing.T, addr net.Addr)
	}{
		{name: "tcp ipv4 loopback", network: "tcp", address: fixed("127.0.0.1:0"),
			wantAddr: tcpAddr("127.0.0.1")},
		{name: "tcp4", network: "tcp4", address: fixed("127.0.0.1:0"),
			wantAddr: tcpAddr("127.0.0.1")},
		{name: "tcp6", network: "tcp6", address: fixed("[::1]:0"), ipv6: true,
			wantAddr: tcpAddr("::1")},
		{name: "tcp6 on tcp", network: "tcp", address: fixed("[::1]:0"), ipv6: true,
			wantAddr: tcpAddr("::1")},
		{name: "tcp wildcard", network: "tcp", address: fixed(":0"),
			wantAddr: tcpUnspecified},
		{name: "tcp4 wildcard", network: "tcp4", address: fixed("0.0.0.0:0"),
			wantAddr: tcpAddr("0.0.0.0")},
		{name: "unix", network: "unix", address: tempSocket,
			wantAddr: unixAddr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ipv6 {
				skipWithoutIPv6(t)
			}
			checkFds(t)
			lfd, addr, err := Listen(tc.network, tc.address(t), ListenOptions{})
			must(t, err)
			defer func() { must(t, Close(lfd)) }()
			tc.wantAddr(t, addr)
			mustNonblockCloexec(t, lfd)

			cli := dial(t, addr)
			defer func() { must(t, Close(cli)) }()
			srv := acceptOne(t, lfd)
			defer func() { must(t, Close(srv)) }()
			mustNonblockCloexec(t, srv)
			writeAll(t, cli, "hello")
			buf := make([]byte, 16)
			n := readSome(t, srv, buf)
			mustEqual(t, "hello", string(buf[:n]))
		})
	}
}

func fixed(s string) func(*testing.T) string { return func(*testing.T) string { return s } }

func tempSocket(t *testing.T) string { return filepath.Join(t.TempDir(), "s.sock") }

func tcpAddr(ip string) func(*testing.T, net.Addr) {
	return func(t *testing.T, addr net.Addr) {
		t.Helper()
		ta, ok := addr.(*net.TCPAddr)
		if !ok || !ta.IP.Equal(net.ParseIP(ip)) || ta.Port == 0 {
			t.Fatalf("addr %v (%T), want %s with a port", addr, addr, ip)
		}
	}
}

func tcpUnspecified(t *testing.T, addr net.Addr) {
	t.Helper()
	ta, ok := addr.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() || ta.Port == 0 {
		t.Fatalf("addr %v (%T), want a wildcard with a port", addr, addr)
	}
}

func unixAddr(t *testing.T, addr net.Addr) {
	t.Helper()
	ua, ok := addr.(*net.UnixAddr)
	if !ok || ua.Net != "unix" || ua.Name == "" {
		t.Fatalf("addr %#v, want a *net.UnixAddr", addr)
	}
}

// mustNonblockCloexec checks fd's O_NONBLOCK and FD_CLOEXEC flags.
func mustNonblockCloexec(t *testing.T, fd int) {
	t.Helper()
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	must(t, err)
	fd2, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	must(t, err)
	if fl&unix.O_NONBLOCK == 0 || fd2&unix.FD_CLOEXEC == 0 {
		t.Fatalf("fd %d: flags %#x fdflags %#x, want O_NONBLOCK and FD_CLOEXEC", fd, fl, fd2)
	}
}

// readSome waits for data on the nonblocking fd and reads it.
func readSome(t *testing.T, fd int, buf []byte) int {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		n, err := Read(fd, buf)
		if err == nil {
			return n
		}
		mustIs(t, err, unix.EAGAIN)
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, int(waitFor/time.Millisecond)); err != nil && err != unix.EINTR {
			t.Fatalf("poll: %v", err)
		}
	}
	t.Fatal("nothing to read")
	return 0
}

func TestListenErrors(t *testing.T) {
	checkFds(t)
	tests := []struct {
		name    string
		network string
		address string
		want    error
	}{
		{name: "unknown network", network: "udp", address: "127.0.0.1:0", want: ErrUnknownNetwork},
		{name: "bad address", network: "tcp", address: "127.0.0.1:notaport"},
		{name: "non-local address", network: "tcp", address: "192.0.2.1:0", want: unix.EADDRNOTAVAIL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, addr, err := Listen(tc.network, tc.address, ListenOptions{})
			if err == nil {
				Close(fd)
				t.Fatalf("Listen(%q, %q) = %v, want an error", tc.network, tc.address, addr)
			}
			if fd != -1 {
				t.Fatalf("fd = %d on error, want -1", fd)
			}
			if tc.want != nil {
				mustIs(t, err, tc.want)
			}
		})
	}
}

func TestListenBindErrorIsSyscallError(t *testing.T) {
	checkFds(t)
	lfd, addr, err := Listen("tcp", "127.0.0.1:0", ListenOptions{})
	must(t, err)
	defer Close(lfd)
	_, _, err = Listen("tcp", addr.String(), ListenOptions{})
	mustIs(t, err, unix.EADDRINUSE)
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "bind" {
		t.Fatalf("error %#v, want *os.SyscallError from bind", err)
	}
}

func TestListenReusePort(t *testing.T) {
	checkFds(t)
	opts := ListenOptions{ReusePort: true}
	l1, addr, err := Listen("tcp", "127.0.0.1:0", opts)
	must(t, err)
	defer Close(l1)
	l2, addr2, err := Listen("tcp", addr.String(), opts)
	must(t, err)
	defer Close(l2)
	mustEqual(t, addr.String(), addr2.String())
	v, err := unix.GetsockoptInt(l2, unix.SOL_SOCKET, unix.SO_REUSEPORT)
	must(t, err)
	mustEqual(t, 1, v)
}

func TestListenUnixStaleSocket(t *testing.T) {
	checkFds(t)
	path := tempSocket(t)
	// A listener closed without unlinking leaves a stale socket file.
	l1, _, err := Listen("unix", path, ListenOptions{})
	must(t, err)
	must(t, Close(l1))
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("socket file gone after close: %v", err)
	}
	l2, _, err := Listen("unix", path, ListenOptions{})
	must(t, err)
	// A live listener is not stale: a second Listen fails and leaves it be.
	_, _, err = Listen("unix", path, ListenOptions{})
	mustIs(t, err, unix.EADDRINUSE)
	cli := dial(t, &net.UnixAddr{Name: path, Net: "unix"})
	must(t, Close(cli))
	must(t, Close(l2))
}

func TestListenUnixKeepsNonSocketFile(t *testing.T) {
	checkFds(t)
	path := filepath.Join(t.TempDir(), "plain")
	must(t, os.WriteFile(path, []byte("keep me"), 0o600))
	_, _, err := Listen("unix", path, ListenOptions{})
	mustIs(t, err, unix.EADDRINUSE)
	b, err := os.ReadFile(path)
	must(t, err)
	mustEqual(t, "keep me", string(b))
}

func TestAcceptWithNothingPendingIsEAGAIN(t *testing.T) {
	checkFds(t)
	lfd, _, err := Listen("tcp", "127.0.0.1:0", ListenOptions{Backlog: 8})
	must(t, err)
	defer Close(lfd)
	fd, sa, err := Accept(lfd)
	if err != unix.EAGAIN || !errors.Is(err, unix.EAGAIN) || fd != -1 || sa != nil {
		t.Fatalf("Accept = %d, %v, %v; want -1, nil, EAGAIN", fd, sa, err)
	}
}

func TestAcceptReturnsPeerAddress(t *testing.T) {
	checkFds(t)
	lfd, addr, err := Listen("tcp", "127.0.0.1:0", ListenOptions{})
	must(t, err)
	defer Close(lfd)
	cli := dial(t, addr)
	defer Close(cli)
	local, err := unix.Getsockname(cli)
	must(t, err)
	fd, peer := acceptAddr(t, lfd)
	defer Close(fd)
	mustEqual(t, SockaddrToAddr("tcp", local).String(), SockaddrToAddr("tcp", peer).String())
}

func TestSockaddrToAddr(t *testing.T) {
	tests := []struct {
		name    string
		network string
		sa      unix.Sockaddr
		want    net.Addr
	}{
		{name: "ipv4", network: "tcp", sa: &unix.SockaddrInet4{Port: 80, Addr: [4]byte{10, 1, 2, 3}},
			want: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 80}},
		{name: "ipv6", network: "tcp6", sa: &unix.SockaddrInet6{Port: 443, Addr: [16]byte{15: 1}},
			want: &net.TCPAddr{IP: net.IPv6loopback, Port: 443}},
		{name: "udp", network: "udp", sa: &unix.SockaddrInet4{Port: 53, Addr: [4]byte{127, 0, 0, 1}},
			want: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}},
		{name: "unix", network: "unix", sa: &unix.SockaddrUnix{Name: "/tmp/x.sock"},
			want: &net.UnixAddr{Name: "/tmp/x.sock", Net: "unix"}},
		{name: "unix from tcp network", network: "tcp", sa: &unix.SockaddrUnix{Name: "@abs"},
			want: &net.UnixAddr{Name: "@abs", Net: "unix"}},
		{name: "nil", network: "tcp", sa: nil, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustEqual(t, tc.want, SockaddrToAddr(tc.network, tc.sa))
		})
	}
}

func TestSocketOptions(t *testing.T) {
	checkFds(t)
	pr := tcpLoopback(t)
	fd := pr.fds[0]
	getInt := func(level, opt int) int {
		t.Helper()
		v, err := unix.GetsockoptInt(fd, level, opt)
		must(t, err)
		return v
	}
	tests := []struct {
		name  string
		apply func() error
		level int
		opt   int
		want  int
	}{
		{"nodelay on", func() error { return SetNoDelay(fd, true) }, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1},
		{"nodelay off", func() error { return SetNoDelay(fd, false) }, unix.IPPROTO_TCP, unix.TCP_NODELAY, 0},
		{"keepalive on", func() error { return SetKeepAlive(fd, 15*time.Second) }, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
		{"keepalive idle", func() error { return SetKeepAlive(fd, 15*time.Second) }, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 15},
		{"keepalive interval rounds up", func() error { return SetKeepAlive(fd, 1500*time.Millisecond) }, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 2},
		{"keepalive off", func() error { return SetKeepAlive(fd, 0) }, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			must(t, tc.apply())
			mustEqual(t, tc.want, getInt(tc.level, tc.opt))
		})
	}
	mustIs(t, SetNoDelay(-1, true), unix.EBADF)
}

func TestShutdownWriteGivesPeerEOF(t *testing.T) {
	checkFds(t)
	pr := tcpLoopback(t)
	must(t, Shutdown(pr.fds[1], unix.SHUT_WR))
	buf := make([]byte, 8)
	mustEqual(t, 0, readSome(t, pr.fds[0], buf))
	mustIs(t, Shutdown(-1, unix.SHUT_WR), unix.EBADF)
	mustIs(t, Close(-1), unix.EBADF)
}
