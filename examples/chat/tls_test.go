package main

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"

	"github.com/shoalrt/shoal/examples/internal/certfile"
	"github.com/shoalrt/shoal/internal/testcert"
)

// testTLS is a server certificate for the loopback addresses, signed by a
// test CA, written as PEM files to a temporary directory and loaded the way
// -tls-cert and -tls-key load them.
type testTLS struct {
	server *tls.Config // what the flags give the server
	client *tls.Config // trusts the test CA
	leaf   *x509.Certificate
}

func newTestTLS(t *testing.T) testTLS {
	t.Helper()
	ca, err := testcert.NewAuthority("chat test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Server("localhost")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, _, err := ca.WriteFiles(t.TempDir(), leaf)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := certfile.Flags(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(leaf.TLS.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return testTLS{server: srv, client: &tls.Config{RootCAs: ca.Pool}, leaf: x}
}

// startTLS runs a standalone chat server with -tls-cert and -tls-key.
func startTLS(t *testing.T) (server, testTLS) {
	t.Helper()
	tt := newTestTLS(t)
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, tls: tt.server})
	return s, tt
}

// dialTLS connects a chat client over TLS to addr, closed when the test
// ends, and checks the server's certificate.
func dialTLS(t *testing.T, addr string, tt testTLS) tcpClient {
	t.Helper()
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: patience}, "tcp", addr, tt.client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	tc.SetDeadline(time.Now().Add(patience))
	if st := tc.ConnectionState(); !st.HandshakeComplete || !st.PeerCertificates[0].Equal(tt.leaf) {
		t.Fatalf("handshake: complete %v, certificate %v", st.HandshakeComplete, st.PeerCertificates[0].Subject)
	}
	return tcpClient{tc, bufio.NewReader(tc)}
}

// With -tls-cert and -tls-key, the page is served over https and picks
// wss://, a WebSocket client talks over wss://, a TCP client over tls://,
// and they share the rooms as without TLS; plaintext clients are refused
// on both ports.
func TestChatOverTLS(t *testing.T) {
	s, tt := startTLS(t)

	page, ws, lines := urls(config{tls: tt.server}, s.web, s.tcp)
	if want := "https://" + s.web.String() + "/"; page != want {
		t.Errorf("page URL %s, want %s", page, want)
	}
	if want := "wss://" + s.web.String() + "/ws"; ws != want {
		t.Errorf("WebSocket URL %s, want %s", ws, want)
	}
	if want := "tls://" + s.tcp.String(); lines != want {
		t.Errorf("TCP URL %s, want %s", lines, want)
	}

	hc := &http.Client{Timeout: patience, Transport: &http.Transport{TLSClientConfig: tt.client}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `location.protocol === "https:" ? "wss://" : "ws://"`) {
		t.Fatalf("page over https: %d %q", resp.StatusCode, body)
	}
	if resp.TLS == nil || !resp.TLS.PeerCertificates[0].Equal(tt.leaf) {
		t.Fatal("page not served with the certificate of -tls-cert")
	}

	d := &gorilla.Dialer{HandshakeTimeout: patience, EnableCompression: true, TLSClientConfig: tt.client}
	wc, resp, err := d.Dial(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer wc.Close()
	if _, ok := wc.NetConn().(*tls.Conn); !ok {
		t.Fatalf("the WebSocket runs over a %T, not TLS", wc.NetConn())
	}
	wc.SetReadDeadline(time.Now().Add(patience))
	ann := wsClient{wc}
	bob := dialTLS(t, s.tcp.String(), tt)

	ann.send(t, "Say", `{"Text":"too early"}`)
	expect(t, ann, "Problem", `{"Text":"join a room first"}`)
	ann.send(t, "Join", `{"Room":"lobby","Name":"ann"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"ann"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"bob"}`)
	ann.send(t, "Say", `{"Text":"hi bob, over wss"}`)
	for _, c := range []client{ann, bob} {
		expect(t, c, "Said", `{"Room":"lobby","From":"ann","Text":"hi bob, over wss"}`)
	}
	long := strings.Repeat("x", maxText)
	bob.send(t, "Say", `{"Text":"`+long+`"}`)
	for _, c := range []client{ann, bob} {
		expect(t, c, "Said", `{"Room":"lobby","From":"bob","Text":"`+long+`"}`)
	}
	bob.send(t, "Who", `{}`)
	expect(t, bob, "Members", `{"Room":"lobby","Names":["ann","bob"]}`)

	// Plaintext on either port: no page, no chat.
	if resp, err := (&http.Client{Timeout: patience}).Get("http://" + s.web.String() + "/"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("the page is served over plain http on the TLS port")
		}
	}
	plain := dialTCP(t, s.tcp.String())
	plain.send(t, "Join", `{"Room":"lobby","Name":"eve"}`)
	if line, err := plain.r.ReadString('\n'); err == nil {
		t.Fatalf("a plaintext client on the tls:// port got %q", line)
	}

	// Leaving over TLS tells the room, as without it.
	bob.c.Close()
	expect(t, ann, "Left", `{"Room":"lobby","Name":"bob"}`)
}

// TestChatPageInChromiumOverTLS loads the chat page over https in headless
// Chromium, which trusts the test certificate by its public key: the page
// opens its WebSocket with wss:// (a page loaded over https may not open
// ws://) and joins the room a TLS member is in.
func TestChatPageInChromiumOverTLS(t *testing.T) {
	browser := findChromium(t)
	s, tt := startTLS(t)
	bob := dialTLS(t, s.tcp.String(), tt)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)

	spki := sha256.Sum256(tt.leaf.RawSubjectPublicKeyInfo)
	runChromium(t, browser, "https://"+s.web.String()+"/#room=lobby&name=chromium",
		"--ignore-certificate-errors-spki-list="+base64.StdEncoding.EncodeToString(spki[:]))
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"chromium"}`)
}
