// Command nbiotls is nbio's TLS echo server, a peer of the TLS scenarios of
// bench/cmd/compare: one nbio event loop (NPoller 1) with nbio's TLS
// extension (extension/tls over llib's fork of crypto/tls, in non-blocking
// mode: the poller appends what it read to the connection's TLS state and
// reads the plaintext out; handshakes run on the poller too), in the style
// of nbio's TLS example. OnData writes every plaintext chunk back with
// tlsConn.Write. The plaintext is read into one 16 KiB buffer shared by every
// connection (one poller: one callback at a time) instead of the 2 KiB
// allocated per read by default; OnClose closes the TLS connection so its
// buffers return to nbio's pool. Session tickets are on (the fork's default).
//
//	nbiotls -addr 127.0.0.1:9444 -cert cert.pem -key key.pem
package main

import (
	"flag"
	"log"

	"github.com/lesismal/llib/std/crypto/tls"
	"github.com/lesismal/nbio"
	ntls "github.com/lesismal/nbio/extension/tls"
	"github.com/lesismal/nbio/logging"
)

// bufSize is the plaintext read buffer: the largest plaintext one TLS
// record carries.
const bufSize = 16 << 10

func main() {
	addr := flag.String("addr", "127.0.0.1:9444", "TCP address to listen on")
	certFile := flag.String("cert", "", "PEM certificate (chain) file")
	keyFile := flag.String("key", "", "PEM private key file of -cert")
	pollers := flag.Int("pollers", 1, "nbio event loops")
	flag.Parse()
	if *certFile == "" || *keyFile == "" {
		log.Fatal("nbiotls: -cert and -key are required")
	}
	logging.SetLevel(logging.LevelWarn)

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}

	engine := nbio.NewEngine(nbio.Config{
		Network: "tcp",
		Addrs:   []string{*addr},
		NPoller: *pollers,
	})
	engine.OnOpen(ntls.WrapOpen(cfg, false, nil))
	engine.OnClose(ntls.WrapClose(func(_ *nbio.Conn, tlsConn *tls.Conn, _ error) {
		_ = tlsConn.Close() // releases its buffers; the alert it tries to send has nowhere to go
	}))
	getBuffer := func() []byte { return make([]byte, bufSize) }
	if *pollers == 1 {
		shared := make([]byte, bufSize)
		getBuffer = func() []byte { return shared }
	}
	engine.OnData(ntls.WrapData(func(_ *nbio.Conn, tlsConn *tls.Conn, data []byte) {
		_, _ = tlsConn.Write(data)
	}, getBuffer))

	if err := engine.Start(); err != nil {
		log.Fatal(err)
	}
	log.Printf("nbiotls listening on %s (%d poller(s))", *addr, *pollers)
	engine.Wait()
}
