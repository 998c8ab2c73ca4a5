package actor_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// DialTimeout bounds the connect of one Dial: a dial to a loopback
// listener whose accept queue is full (the kernel then drops the SYN and the
// client retries) gives up after it.
func TestDialTimeoutOption(t *testing.T) {
	sys, _ := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, unix.Listen(fd, 0)) // never accepted
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*unix.SockaddrInet4).Port))
	var fill []net.Conn // fill the accept queue
	defer func() {
		for _, c := range fill {
			c.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break // the queue is full already
		}
		fill = append(fill, c)
	}
	start := time.Now()
	_, err = sys.Dial(context.Background(), addr, codec.Bytes(codec.Line()), echoFactory, actor.DialTimeout(100*time.Millisecond))
	if err == nil {
		t.Skip("the kernel took the connection despite a full accept queue")
	}
	var to interface{ Timeout() bool }
	require.True(t, errors.As(err, &to) && to.Timeout(), "want a timeout, got %v after %v", err, time.Since(start))
}
