// Command stdtls is the Go standard library TLS echo server, the baseline of
// the TLS scenarios of bench/cmd/compare: crypto/tls over net with
// tls.NewListener, a goroutine per connection, a read/write loop over a
// 16 KiB buffer (one TLS record's plaintext at most). Session tickets are on
// (crypto/tls's default), so clients that keep a session cache resume.
//
//	stdtls -addr 127.0.0.1:9443 -cert cert.pem -key key.pem
package main

import (
	"crypto/tls"
	"flag"
	"log"
	"net"

	"github.com/shoalrt/shoal/bench/internal/stdecho"
)

// bufSize is the per-connection echo buffer: the largest plaintext one TLS
// record carries.
const bufSize = 16 << 10

func main() {
	addr := flag.String("addr", "127.0.0.1:9443", "TCP address to listen on")
	certFile := flag.String("cert", "", "PEM certificate (chain) file")
	keyFile := flag.String("key", "", "PEM private key file of -cert")
	buf := flag.Int("buf", bufSize, "per-connection buffer size in bytes")
	flag.Parse()
	if *certFile == "" || *keyFile == "" {
		log.Fatal("stdtls: -cert and -key are required")
	}

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("stdtls listening on %s", ln.Addr())
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if err := stdecho.Serve(tls.NewListener(ln, cfg), *buf); err != nil {
		log.Fatal(err)
	}
}
