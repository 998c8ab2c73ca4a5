package reactor_test

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// An echo loop: one goroutine owns a poller, accepts connections, echoes what
// they send, and stops when another goroutine wakes it.
func Example() {
	lfd, addr, err := reactor.Listen("tcp", "127.0.0.1:0", reactor.ListenOptions{})
	if err != nil {
		panic(err)
	}
	defer reactor.Close(lfd)
	p, _ := reactor.NewPoller()
	defer p.Close()
	w, _ := reactor.NewWaker()
	defer w.Close()

	// Tokens are the caller's: here 1 is the listener, 2 the waker, and a
	// connection's token is its fd plus connBase.
	const listenerToken, wakerToken, connBase = 1, 2, 1 << 32
	p.Add(lfd, listenerToken, reactor.Readable)
	p.AddWaker(w, wakerToken)

	go func() { // a client, then "stop the loop"
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			panic(err)
		}
		c.Write([]byte("ping"))
		reply := make([]byte, 4)
		io.ReadFull(c, reply)
		fmt.Printf("echo: %s\n", reply)
		c.Close()
		w.Wake()
	}()

	ready := make([]reactor.Ready, 64)
	buf := make([]byte, 4096)
	open, stopping := 0, false
	for !stopping || open > 0 { // on a wake, stop once every connection is gone
		n, err := p.Wait(ready, -1)
		if err != nil {
			panic(err)
		}
		for _, r := range ready[:n] {
			switch r.Token {
			case wakerToken:
				stopping = true
			case listenerToken:
				for {
					fd, _, err := reactor.Accept(lfd)
					if errors.Is(err, unix.EAGAIN) {
						break
					} else if err != nil {
						panic(err)
					}
					reactor.SetNoDelay(fd, true)
					p.Add(fd, connBase+uint64(fd), reactor.Readable)
					open++
				}
			default:
				fd := int(r.Token - connBase)
				n, err := reactor.Read(fd, buf)
				switch {
				case n > 0:
					reactor.Write(fd, buf[:n]) // a real loop keeps what the kernel did not take
				case err == unix.EAGAIN:
				default: // EOF or error: Close also removes fd from the poller
					reactor.Close(fd)
					open--
				}
			}
		}
	}
	// Output: echo: ping
}

// Writev sends several buffers — say a frame header and its body — in one
// system call, without allocating.
func ExampleWritev() {
	fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])

	n, err := reactor.Writev(fds[0], [][]byte{{0, 5}, []byte("hello")})
	fmt.Println(n, err)

	got := make([]byte, 16)
	n, _ = reactor.Read(fds[1], got)
	fmt.Printf("%q\n", got[:n])
	// Output:
	// 7 <nil>
	// "\x00\x05hello"
}
