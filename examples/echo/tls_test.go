package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"

	"github.com/shoalrt/shoal/examples/internal/certfile"
	"github.com/shoalrt/shoal/internal/testcert"
)

// testTLS writes a test CA's server certificate for the loopback addresses
// to PEM files and loads them as -tls-cert and -tls-key do; client trusts
// the CA.
func testTLS(t *testing.T) (server, client *tls.Config, leaf *x509.Certificate) {
	t.Helper()
	ca, err := testcert.NewAuthority("echo test CA")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ca.Server("localhost")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, _, err := ca.WriteFiles(t.TempDir(), l)
	if err != nil {
		t.Fatal(err)
	}
	if server, err = certfile.Flags(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	if leaf, err = x509.ParseCertificate(l.TLS.Certificate[0]); err != nil {
		t.Fatal(err)
	}
	return server, &tls.Config{RootCAs: ca.Pool}, leaf
}

// serveTLS runs the echo server with cfg until the test ends.
func serveTLS(t *testing.T, cfg config) net.Addr {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, func(a net.Addr) { addrs <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	select {
	case a := <-addrs:
		return a
	case err := <-done:
		t.Fatal(err)
	}
	return nil
}

// -proto tcp with -tls-cert and -tls-key: a crypto/tls client gets its
// bytes back exactly, over TLS 1.2 and 1.3, with the certificate of the
// files; a plaintext client gets nothing back.
func TestEchoOverTLS(t *testing.T) {
	server, client, leaf := testTLS(t)
	addr := serveTLS(t, config{addr: "127.0.0.1:0", shards: 2, lb: "round-robin", proto: "tcp", tls: server})
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cc := client.Clone()
		cc.MinVersion, cc.MaxVersion = version, version
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 20 * time.Second}, "tcp", addr.String(), cc)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if st := c.ConnectionState(); st.Version != version || !st.PeerCertificates[0].Equal(leaf) {
			t.Fatalf("version %x (want %x), certificate %v", st.Version, version, st.PeerCertificates[0].Subject)
		}
		// More than one TLS record (16 KiB) each way.
		msg := bytes.Repeat([]byte{byte(version), 0, 255, '\n'}, 20000)
		go c.Write(msg)
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatal("echo differs")
		}
		c.Close()
	}

	c, err := net.DialTimeout("tcp", addr.String(), 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte("not a ClientHello\n")); err != nil {
		t.Fatal(err)
	}
	// Closed (an EOF, or a reset): not a timeout, and nothing read.
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); len(b) != 0 || ok && ne.Timeout() {
		t.Fatalf("a plaintext client got %q, %v; want the connection closed", b, err)
	}
}

// -proto ws with -tls-cert and -tls-key: the page is served over https and
// a WebSocket client over wss:// gets text and binary messages back with
// their kind.
func TestEchoWebSocketOverTLS(t *testing.T) {
	server, client, leaf := testTLS(t)
	addr := serveTLS(t, config{addr: "127.0.0.1:0", shards: 2, lb: "round-robin", proto: "ws", tls: server})

	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: client}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("https://" + addr.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`location.protocol === "https:" ? "wss://" : "ws://"`)) {
		t.Fatalf("page: %d %q", resp.StatusCode, body)
	}
	if !resp.TLS.PeerCertificates[0].Equal(leaf) {
		t.Fatal("page not served with the certificate of -tls-cert")
	}

	d := gorilla.Dialer{HandshakeTimeout: 20 * time.Second, EnableCompression: true, TLSClientConfig: client}
	conn, resp, err := d.Dial("wss://"+addr.String()+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer conn.Close()
	if _, ok := conn.NetConn().(*tls.Conn); !ok {
		t.Fatalf("the WebSocket runs over a %T, not TLS", conn.NetConn())
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for _, m := range []struct {
		kind int
		data []byte
	}{
		{gorilla.TextMessage, []byte("hello")},
		{gorilla.BinaryMessage, []byte{0, 1, 2, 255}},
		{gorilla.BinaryMessage, bytes.Repeat([]byte{7, 0, 9}, 30000)}, // several TLS records
	} {
		if err := conn.WriteMessage(m.kind, m.data); err != nil {
			t.Fatal(err)
		}
		kind, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if kind != m.kind || !bytes.Equal(data, m.data) {
			t.Fatalf("echo differs: kind %d, %d bytes", kind, len(data))
		}
	}
}

// TLS needs a host:port: a Unix socket with -tls-cert is refused.
func TestEchoTLSNeedsHostPort(t *testing.T) {
	server, _, _ := testTLS(t)
	err := serve(context.Background(), config{addr: "unix:///tmp/echo.sock", shards: 1, lb: "round-robin", proto: "tcp", tls: server}, func(net.Addr) {})
	if err == nil {
		t.Fatal("TLS over a Unix socket accepted")
	}
}
