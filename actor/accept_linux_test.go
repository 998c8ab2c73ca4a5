package actor_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

func TestAcceptBacksOffWhenOutOfDescriptors(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok {
			ctx.WriteBytes(b)
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory)

	// The clients live in a child process, so their sockets do not count
	// against this process's limit. It dials when told to, on stdin.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDialer$")
	cmd.Env = append(os.Environ(), "SHOAL_DIAL="+l.Addr().String())
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old))
	lowered := old
	lowered.Cur = uint64(countFDs(t) + 40)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered))
	var filler []int
	release := func() {
		for _, fd := range filler {
			syscall.Close(fd)
		}
		filler = nil
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old))
	}
	for {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		filler = append(filler, fd)
	}
	_, err = stdin.Write([]byte("dial\n"))
	if err != nil {
		release()
		t.Fatal(err)
	}
	errorsSeen := func() bool { return l.AcceptErrors() >= 2 }
	for deadline := time.Now().Add(waitFor); !errorsSeen() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	refused := l.AcceptErrors()
	release()
	require.GreaterOrEqual(t, refused, uint64(2), "accept never ran out of descriptors")
	// Backing off doubles the pause each time, so the errors stay few
	// instead of a spinning loop's millions.
	require.Less(t, refused, uint64(200))

	require.NoError(t, cmd.Wait(), out.String())
	require.Contains(t, out.String(), "echoed 10")
	require.Equal(t, uint64(10), l.Accepted())
}

// TestHelperDialer is the child process of
// TestAcceptBacksOffWhenOutOfDescriptors; it does nothing in a normal run.
func TestHelperDialer(t *testing.T) {
	addr := os.Getenv("SHOAL_DIAL")
	if addr == "" {
		t.Skip("helper process only")
	}
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	for i := 0; i < 10; i++ {
		c, err := net.DialTimeout("tcp", addr, waitFor)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(waitFor))
		conns = append(conns, c)
	}
	for _, c := range conns {
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 4)
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
			t.Fatalf("echo %q, %v", got, err)
		}
		c.Close()
	}
	fmt.Println("echoed", len(conns))
}
