package shard

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/internal/testcert"
)

// FuzzHelloReady: the shard's look at a client's first bytes never panics,
// never reads past them, and a whole ClientHello is ready however it is
// split or followed.
func FuzzHelloReady(f *testing.F) {
	hello := clientFlight(f)
	f.Add(hello)
	f.Add(hello[:len(hello)/2])
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{22, 3, 1, 0xff, 0xff})
	f.Add([]byte{22, 3, 1, 0, 1, 1, 22, 3, 1, 0, 3, 0, 0, 1, 22, 3, 1, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ok, err := helloReady(b)
		if ok && err != nil {
			t.Fatalf("ready and failed: %v", err)
		}
		if err != nil && err != ErrNotTLS {
			var te *TLSError
			if !errors.As(err, &te) {
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
		if ok { // a prefix that is ready stays ready with more after it
			if ok2, err2 := helloReady(append(append([]byte(nil), b...), 0xde, 0xad)); !ok2 || err2 != nil {
				t.Fatalf("ready, then not with more bytes: %v %v", ok2, err2)
			}
		}
	})
}

func TestHelloReadySplitAnywhere(t *testing.T) {
	hello := clientFlight(t)
	for i := 0; i < len(hello); i++ {
		if ok, err := helloReady(hello[:i]); ok || err != nil {
			t.Fatalf("prefix of %d/%d: ready=%v err=%v", i, len(hello), ok, err)
		}
	}
	if ok, err := helloReady(hello); !ok || err != nil {
		t.Fatalf("whole hello: ready=%v err=%v", ok, err)
	}
	// The same message split over one record per byte.
	body := hello[recordHeaderLen:]
	var split []byte
	for _, c := range body {
		split = append(split, recordHandshake, 3, 1, 0, 1, c)
	}
	if ok, err := helloReady(split); !ok || err != nil {
		t.Fatalf("one record per byte: ready=%v err=%v", ok, err)
	}
	if ok, err := helloReady(split[:len(split)-1]); ok || err != nil {
		t.Fatalf("one record per byte, cut: ready=%v err=%v", ok, err)
	}
}

var fuzzPKI struct {
	once   sync.Once
	server *tls.Config
	client *tls.Config
}

func fuzzConfigs(t testing.TB) (*tls.Config, *tls.Config) {
	fuzzPKI.once.Do(func() {
		ca, err := testcert.NewAuthority("fuzz ca")
		if err != nil {
			panic(err)
		}
		leaf, err := ca.Server("127.0.0.1")
		if err != nil {
			panic(err)
		}
		fuzzPKI.server = &tls.Config{Certificates: []tls.Certificate{leaf.TLS}}
		fuzzPKI.client = &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"}
	})
	return fuzzPKI.server.Clone(), fuzzPKI.client.Clone()
}

// clientFlight returns the first bytes a crypto/tls client sends.
func clientFlight(t testing.TB) []byte {
	_, ccfg := fuzzConfigs(t)
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		c := tls.Client(b, ccfg)
		c.Handshake()
		b.Close()
	}()
	buf := make([]byte, 64<<10)
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := a.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// memConn is the client's end of an in-memory connection to a server
// transport: Write hands ciphertext to the driver, Read takes what the
// server sent.
type memConn struct {
	toServer chan []byte
	in       chan []byte
	pending  []byte
	closed   chan struct{}
}

func (m *memConn) Write(p []byte) (int, error) {
	select {
	case m.toServer <- append([]byte(nil), p...):
		return len(p), nil
	case <-m.closed:
		return 0, net.ErrClosed
	}
}

func (m *memConn) Read(p []byte) (int, error) {
	for len(m.pending) == 0 {
		select {
		case b := <-m.in:
			m.pending = b
		case <-m.closed:
			return 0, io.EOF
		}
	}
	n := copy(p, m.pending)
	m.pending = m.pending[n:]
	return n, nil
}

func (m *memConn) Close() error                     { return nil }
func (m *memConn) LocalAddr() net.Addr              { return nil }
func (m *memConn) RemoteAddr() net.Addr             { return nil }
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzTLSRecords drives the shard's TLS adapter as the shard does, without
// a socket: a real crypto/tls client's bytes reach the server's transport
// in chops the input chooses, through the handshake (the transport's
// blocking mode, on a goroutine) and the records after it (its shard mode,
// read with openRecords). Unharmed, every byte the client sent comes out
// in order, whatever the chops (so openRecords never stops while
// crypto/tls holds a whole record); with a byte of the stream flipped
// (the input's first byte says where), the adapter fails with an error and
// never panics or hangs.
func FuzzTLSRecords(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 200, 7})
	f.Add([]byte{0, 255})
	f.Add([]byte{1, 9, 50, 1, 1, 1})
	f.Add([]byte{0x81, 13, 1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		harm, chops := in[0], in[1:]
		corrupt := harm&1 != 0
		flipAt := int(harm >> 1) // offset into the application records
		scfg, ccfg := fuzzConfigs(t)
		if harm&0x80 != 0 {
			ccfg.MaxVersion = tls.VersionTLS12
		}
		toServer, toClient := make(chan []byte, 64), make(chan []byte, 64)
		closed := make(chan struct{})
		defer close(closed)
		tr := newTLSTransport(nil, nil, nil, func(b []byte) error { toClient <- b; return nil })
		server := tls.Server(tr, scfg)
		hsDone := make(chan error, 1)
		go func() { hsDone <- server.Handshake() }()
		cc := &memConn{toServer: toServer, in: toClient, closed: closed}
		client := tls.Client(cc, ccfg)
		msgs := [][]byte{[]byte("hello"), bytes.Repeat([]byte("x"), 5000), []byte("world"), bytes.Repeat([]byte{0}, 17000), []byte("!"), bytes.Repeat([]byte("y"), 40000)}
		var want []byte
		for _, m := range msgs {
			want = append(want, m...)
		}
		clientDone := make(chan error, 1)
		ack := make(chan struct{}) // the driver got message i: the client may send the next
		go func() {
			if err := client.Handshake(); err != nil {
				clientDone <- err
				return
			}
			for _, m := range msgs {
				if _, err := client.Write(m); err != nil {
					clientDone <- err
					return
				}
				select {
				case <-ack:
				case <-closed:
					return
				}
			}
			clientDone <- client.CloseWrite()
		}()
		chop := func(b []byte, i *int) [][]byte {
			var out [][]byte
			for len(b) > 0 {
				n := len(b)
				if len(chops) > 0 {
					// 1 to 128 bytes, or 256 to 32 KiB: across record
					// boundaries, several records at once.
					if c := int(chops[*i%len(chops)]); c < 128 {
						n = c + 1
					} else {
						n = (c - 127) * 256
					}
				}
				*i++
				n = min(n, len(b))
				out = append(out, b[:n])
				b = b[n:]
			}
			return out
		}
		ci := 0
		timeout := time.After(10 * time.Second)
		// The handshake: chopped bytes into the blocking transport.
		for handshaking := true; handshaking; {
			select {
			case b := <-toServer:
				for _, p := range chop(b, &ci) {
					tr.feed(p)
				}
			case err := <-hsDone:
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				handshaking = false
			case <-timeout:
				t.Fatal("handshake hung")
			}
		}
		// The switch, as Shard.established does it.
		var sent []byte
		tr.onShard = true
		tr.sink = func(b []byte) { sent = append(sent, b...) }
		buf := make([]byte, 16<<10)
		var got []byte
		deliver := func(p []byte) bool { got = append(got, p...); return true }
		// What came with the client's last handshake flight, maybe all of
		// it (then this ends with io.EOF, the client's close_notify).
		err := openRecords(server, tr, nil, buf, deliver)
		// The records: chopped bytes through openRecords, maybe one flipped.
		// The client sends the next message only once the driver has had the
		// whole of this one out of openRecords: a whole record left unread
		// inside crypto/tls would stall it, and shows as a stall here.
		off := 0
		feed := func(b []byte) {
			if corrupt && flipAt >= off && flipAt < off+len(b) {
				b[flipAt-off] ^= 0x40
			}
			off += len(b)
			for _, p := range chop(b, &ci) {
				if err = openRecords(server, tr, p, buf, deliver); err != nil {
					return
				}
			}
		}
		sofar := 0
		for _, m := range msgs {
			sofar += len(m)
			for len(got) < sofar && err == nil {
				select {
				case b := <-toServer:
					for more := true; more; { // what else is there now, so a chop may span writes
						select {
						case b2 := <-toServer:
							b = append(b, b2...)
						default:
							more = false
						}
					}
					feed(b)
				case <-time.After(2 * time.Second):
					if !corrupt {
						t.Fatalf("stalled with %d of %d bytes out: a whole record left unread", len(got), sofar)
					}
					err = errors.New("stalled by the flipped byte")
				case <-timeout:
					t.Fatal("records hung")
				}
			}
			if err != nil {
				break
			}
			ack <- struct{}{}
		}
		for done := false; !done && err == nil; { // the client's close_notify
			select {
			case b := <-toServer:
				feed(b)
			case cerr := <-clientDone:
				if cerr != nil {
					t.Fatalf("client: %v", cerr)
				}
				done = true
			case <-timeout:
				t.Fatal("records hung")
			}
		}
		for err == nil { // what the client sent before it finished
			select {
			case b := <-toServer:
				feed(b)
				continue
			default:
			}
			break
		}
		if err == nil {
			tr.srcEOF = true
			err = openRecords(server, tr, nil, buf, deliver)
		}
		harmed := corrupt && flipAt < off
		switch {
		case !harmed && err != io.EOF:
			t.Fatalf("unharmed stream ended with %v, got %d of %d bytes", err, len(got), len(want))
		case !harmed && !bytes.Equal(got, want):
			t.Fatalf("unharmed stream: got %d bytes, want %d (or they differ)", len(got), len(want))
		case harmed && err == nil:
			t.Fatalf("a flipped byte at %d went unnoticed", flipAt)
		case harmed && !bytes.HasPrefix(want, got):
			t.Fatalf("a flipped byte let wrong plaintext through")
		}
	})
}

// The handshake goroutine may stop reading in the middle of the client's
// first application record (its Finished and the start of that record came
// in one read): the shard must still know where records end afterwards,
// or a whole record left inside crypto/tls would wait for the next bytes.
func TestTLSSwitchMidRecord(t *testing.T) {
	scfg, ccfg := fuzzConfigs(t)
	ccfg.MinVersion = tls.VersionTLS13
	toServer, toClient := make(chan []byte, 64), make(chan []byte, 64)
	closed := make(chan struct{})
	defer close(closed)
	tr := newTLSTransport(nil, nil, nil, func(b []byte) error { toClient <- b; return nil })
	server := tls.Server(tr, scfg)
	hsDone := make(chan error, 1)
	go func() { hsDone <- server.Handshake() }()
	client := tls.Client(&memConn{toServer: toServer, in: toClient, closed: closed}, ccfg)
	go func() {
		if client.Handshake() == nil {
			client.Write([]byte("first"))
			client.Write([]byte("second"))
		}
	}()
	next := func() []byte {
		select {
		case b := <-toServer:
			return b
		case <-time.After(10 * time.Second):
			t.Fatal("the client sent nothing")
			return nil
		}
	}
	tr.feed(next())                              // ClientHello
	fin, first, second := next(), next(), next() // Finished, then two records
	tr.feed(append(append([]byte(nil), fin...), first[:10]...))
	if err := <-hsDone; err != nil {
		t.Fatal(err)
	}
	tr.onShard = true
	tr.sink = func([]byte) {}
	var got []byte
	buf := make([]byte, 16<<10)
	deliver := func(p []byte) bool { got = append(got, p...); return true }
	if err := openRecords(server, tr, nil, buf, deliver); err != nil {
		t.Fatal(err)
	}
	if err := openRecords(server, tr, append(append([]byte(nil), first[10:]...), second...), buf, deliver); err != nil {
		t.Fatal(err)
	}
	if string(got) != "firstsecond" {
		t.Fatalf("got %q after both records were in: a whole record was left unread", got)
	}
}
