package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
)

func TestWriteFilesLoadable(t *testing.T) {
	certFile, keyFile, err := WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("public key %T, want ECDSA P-256", leaf.PublicKey)
	}
	cfg, err := ClientConfig(certFile, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: cfg.RootCAs, DNSName: "127.0.0.1"}); err != nil {
		t.Fatalf("verify as its own root: %v", err)
	}
}

func TestPairHandshakes(t *testing.T) {
	srv, cli, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	done := make(chan error, 1)
	go func() { done <- tls.Server(a, srv).Handshake() }()
	if err := tls.Client(b, cli).Handshake(); err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
}

func TestParseCurves(t *testing.T) {
	got, err := ParseCurves(" X25519MLKEM768, x25519,P256 ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != tls.X25519MLKEM768 || got[1] != tls.X25519 || got[2] != tls.CurveP256 {
		t.Fatalf("got %v", got)
	}
	if got, err := ParseCurves(""); err != nil || got != nil {
		t.Fatalf("empty: %v, %v; want nil, nil", got, err)
	}
	if _, err := ParseCurves("x25519,ed448"); err == nil {
		t.Fatal("unknown key exchange accepted")
	}
}
