// Package tlscert makes the throw-away TLS certificates of the benchmarks: a
// self-signed ECDSA P-256 certificate for the loopback names, made with
// crypto/x509 (no openssl), that is both the servers' certificate and the
// root the load generator trusts.
package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Generate returns a new self-signed ECDSA P-256 certificate and its private
// key, both PEM-encoded, valid for a day from an hour ago, for localhost,
// 127.0.0.1 and ::1. The certificate is its own CA, so a client can trust it
// as a root (tls.Config.RootCAs) and verify the server by name.
func Generate() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tlscert: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, nil, fmt.Errorf("tlscert: serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "shoal bench"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlscert: certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlscert: key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// WriteFiles generates a certificate with Generate and writes it to
// dir/cert.pem and its key to dir/key.pem (mode 0600), returning both paths.
func WriteFiles(dir string) (certFile, keyFile string, err error) {
	certPEM, keyPEM, err := Generate()
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// Pair returns a server configuration serving a newly generated certificate
// and a client configuration that trusts it as its only root, for tests.
func Pair() (server, client *tls.Config, err error) {
	certPEM, keyPEM, err := Generate()
	if err != nil {
		return nil, nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("tlscert: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		return nil, nil, fmt.Errorf("tlscert: no certificate in the PEM made")
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}},
		&tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}, nil
}

// ClientConfig returns a client configuration that trusts the PEM
// certificates in caFile as its roots and checks serverName (an IP address
// or host name) against the server's certificate; with caFile "" it skips
// verification instead (InsecureSkipVerify).
func ClientConfig(caFile, serverName string) (*tls.Config, error) {
	if caFile == "" {
		return &tls.Config{InsecureSkipVerify: true, ServerName: serverName}, nil
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tlscert: no PEM certificate in %s", caFile)
	}
	return &tls.Config{RootCAs: roots, ServerName: serverName}, nil
}

// curves are the key exchanges ParseCurves knows, by the names it accepts.
var curves = map[string]tls.CurveID{
	"x25519mlkem768": tls.X25519MLKEM768,
	"x25519":         tls.X25519,
	"p256":           tls.CurveP256,
	"p384":           tls.CurveP384,
	"p521":           tls.CurveP521,
}

// ParseCurves parses a comma-separated list of key exchanges (X25519MLKEM768,
// X25519, P256, P384, P521; any case) into tls.Config.CurvePreferences;
// "" gives nil, crypto/tls's default.
func ParseCurves(list string) ([]tls.CurveID, error) {
	var out []tls.CurveID
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		id, ok := curves[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("tlscert: unknown key exchange %q (want X25519MLKEM768, X25519, P256, P384 or P521)", name)
		}
		out = append(out, id)
	}
	return out, nil
}
