package actor_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// TestTLS13FirstWriteDuringServerHandshake: a TLS 1.3 client's handshake
// ends when it sends its Finished, and it may write at once, before the
// server has read that Finished (node's tls module does, which is how
// node_tls_test.go found this). What arrives meanwhile is the client's
// first request: however long, it must be held or waited out (TCP
// backpressure), not taken for handshake input. Here the server's
// handshake is held in VerifyConnection, which crypto/tls calls before it
// reads the client's Finished, until the shard has read everything the
// client wrote (both socket queues empty in /proc/net/tcp), so the window
// is certain; a shard that applies backpressure instead (stops reading
// past some bytes) gets on once the queues stop moving.
func TestTLS13FirstWriteDuringServerHandshake(t *testing.T) {
	pki := newPKI(t)
	ports := make(chan [2]int, 1)    // the client's and the server's, once the client's handshake is done
	writeDone := make(chan error, 1) // the client's first write returned
	cfg := pki.serverConfig()
	cfg.VerifyConnection = func(tls.ConnectionState) error {
		var pp [2]int
		select {
		case pp = <-ports:
		case <-time.After(waitFor):
			return nil
		}
		// Go on once the shard read all the client wrote (its write done,
		// both socket queues empty), or once the queues stop moving (a
		// shard that stops reading a handshake's socket past some bytes).
		wrote, last, still := false, -1, 0
		for deadline := time.Now().Add(waitFor); time.Now().Before(deadline) && still < 200; time.Sleep(time.Millisecond) {
			if !wrote && len(writeDone) > 0 {
				wrote = true
			}
			ctx, crx := tcpQueues(pp[0], pp[1])
			stx, srx := tcpQueues(pp[1], pp[0])
			q := ctx + crx + stx + srx
			if wrote && q == 0 {
				break
			}
			if q > 0 && q == last {
				still++
			} else {
				still = 0
			}
			last = q
		}
		return nil
	}
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok {
			_ = ctx.WriteBytes(b)
		}
	}
	sys, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(cfg))
	ccfg := pki.clientConfig()
	ccfg.MinVersion = tls.VersionTLS13
	c := tlsDial(t, l.Addr(), ccfg) // returns once the client sent its Finished

	const size = 300000
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i * 7)
	}
	readDone := make(chan error, 1)
	echo := make([]byte, size)
	go func() {
		n := 0
		for n < size {
			m, err := c.Read(echo[n:])
			n += m
			if err != nil {
				readDone <- err
				return
			}
		}
		readDone <- nil
	}()
	ports <- [2]int{c.LocalAddr().(*net.TCPAddr).Port, l.Addr().(*net.TCPAddr).Port}
	go func() {
		_, err := c.Write(want)
		writeDone <- err
	}()
	require.NoError(t, recv(t, readDone), "stats %+v", sumStats(sys))
	require.NoError(t, recv(t, writeDone))
	require.Equal(t, want, echo)
	require.NotNil(t, p.next(t, isOpened).msg.(actor.Opened).TLS)
	require.Zero(t, sumStats(sys).TLSFailures)
}

// tcpQueues returns the send and receive queue lengths of the IPv4 TCP
// socket from local port to remote port, from /proc/net/tcp (0, 0 if it is
// not there).
func tcpQueues(local, remote int) (tx, rx int) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	lp, rp := fmt.Sprintf(":%04X", local), fmt.Sprintf(":%04X", remote)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 5 || !strings.HasSuffix(fs[1], lp) || !strings.HasSuffix(fs[2], rp) {
			continue
		}
		q := strings.SplitN(fs[4], ":", 2)
		if len(q) != 2 {
			continue
		}
		t, _ := strconv.ParseInt(q[0], 16, 64)
		r, _ := strconv.ParseInt(q[1], 16, 64)
		return int(t), int(r)
	}
	return 0, 0
}
