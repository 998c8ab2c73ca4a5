package certfile

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/internal/testcert"
)

func TestFlags(t *testing.T) {
	if cfg, err := Flags("", ""); cfg != nil || err != nil {
		t.Fatalf("no flags: %v, %v; want nil, nil", cfg, err)
	}
	if _, err := Flags("cert.pem", ""); err == nil {
		t.Fatal("-tls-cert without -tls-key accepted")
	}
	if _, err := Flags("", "key.pem"); err == nil {
		t.Fatal("-tls-key without -tls-cert accepted")
	}
	dir := t.TempDir()
	if _, err := Flags(filepath.Join(dir, "none.pem"), filepath.Join(dir, "none-key.pem")); err == nil {
		t.Fatal("missing files accepted")
	}
	ca, err := testcert.NewAuthority("certfile test CA")
	if err != nil {
		t.Fatal(err)
	}
	a, b := leaf(t, ca), leaf(t, ca)
	cert, key, _, err := ca.WriteFiles(dir, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, b.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Flags(cert, key); err == nil {
		t.Fatal("a certificate with another certificate's key accepted")
	}
	if err := os.WriteFile(key, a.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Flags(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GetCertificate == nil || len(cfg.NextProtos) != 1 || cfg.NextProtos[0] != "http/1.1" {
		t.Fatalf("config: GetCertificate set %v, NextProtos %q", cfg.GetCertificate != nil, cfg.NextProtos)
	}
}

// A renewal (both files rewritten with a new certificate) is served from
// the first handshake after CheckEvery, without a restart; a pair caught
// half-written (a cut certificate, or a new certificate beside the old key)
// keeps the last good certificate in service until the pair is whole.
func TestReload(t *testing.T) {
	every := CheckEvery
	CheckEvery = 300 * time.Millisecond
	t.Cleanup(func() { CheckEvery = every })

	ca, err := testcert.NewAuthority("certfile test CA")
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := leaf(t, ca), leaf(t, ca), leaf(t, ca)
	dir := t.TempDir()
	cert, key, _, err := ca.WriteFiles(dir, a)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Flags(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, cfg)
	stamp := time.Now()
	write := func(path string, data []byte) { // each write is a later modification
		t.Helper()
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		stamp = stamp.Add(time.Second)
		if err := os.Chtimes(path, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	// served waits for the next check of the files and returns the
	// certificate the handshake after it gets.
	served := func() *x509.Certificate {
		t.Helper()
		time.Sleep(CheckEvery + 50*time.Millisecond)
		return handshake(t, addr, ca.Pool)
	}
	is := func(got *x509.Certificate, want *testcert.Leaf) bool {
		return got.Equal(parse(t, want))
	}

	start := time.Now()
	if got := handshake(t, addr, ca.Pool); !is(got, a) {
		t.Fatal("first handshake: not the certificate of the files")
	}
	write(cert, b.CertPEM)
	write(key, b.KeyPEM)
	got := handshake(t, addr, ca.Pool)
	if time.Since(start) < CheckEvery && !is(got, a) { // the files are looked at once per CheckEvery
		t.Fatal("the files were read again before CheckEvery")
	}
	if got := served(); !is(got, b) {
		t.Fatal("renewed files not served after CheckEvery")
	}

	// Half-written: the certificate cut short.
	write(cert, c.CertPEM[:len(c.CertPEM)/2])
	if got := served(); !is(got, b) {
		t.Fatal("a cut certificate file replaced the one in service")
	}
	// The new certificate whole, its key not written yet.
	write(cert, c.CertPEM)
	if got := served(); !is(got, b) {
		t.Fatal("a certificate beside another's key replaced the one in service")
	}
	// The key written: the pair is whole, and served.
	write(key, c.KeyPEM)
	if got := served(); !is(got, c) {
		t.Fatal("the completed pair is not served")
	}
	// A file removed (a secret being replaced) keeps it too.
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	if got := served(); !is(got, c) {
		t.Fatal("a missing key file replaced the certificate in service")
	}
}

func leaf(t *testing.T, ca *testcert.Authority) *testcert.Leaf {
	t.Helper()
	l, err := ca.Server("localhost")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func parse(t *testing.T, l *testcert.Leaf) *x509.Certificate {
	t.Helper()
	x, err := x509.ParseCertificate(l.TLS.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// serveTLS runs a crypto/tls server with cfg on loopback until the test
// ends: each connection is handshaken and closed.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

// handshake connects to addr and returns the server's certificate.
func handshake(t *testing.T, addr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 20 * time.Second}, "tcp", addr, &tls.Config{RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}
