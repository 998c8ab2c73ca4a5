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

	"github.com/chromedp/chromedp"
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
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, limits: testLimits, tls: tt.server})
	return s, tt
}

// dialTLS connects a text-line client over TLS to addr (tls://), closed
// when the test ends: it checks the server's certificate and the
// greeting, as dialTCP does without TLS.
func dialTLS(t *testing.T, addr string, tt testTLS) *tcpClient {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: patience}, "tcp", addr, tt.client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if st := c.ConnectionState(); !st.HandshakeComplete || !st.PeerCertificates[0].Equal(tt.leaf) {
		t.Fatalf("handshake: complete %v, certificate %v", st.HandshakeComplete, st.PeerCertificates[0].Subject)
	}
	tc := &tcpClient{t, c, bufio.NewReader(c)}
	tc.expect("* welcome to Shoal chat: /nick NAME, then /join ROOM (/help lists the commands)")
	return tc
}

// dialWSS connects a WebSocket client over wss:// to s.
func dialWSS(t *testing.T, url string, tt testTLS) *wsClient {
	t.Helper()
	d := &gorilla.Dialer{HandshakeTimeout: patience, EnableCompression: true, TLSClientConfig: tt.client}
	c, resp, err := d.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { c.Close() })
	if tc, ok := c.NetConn().(*tls.Conn); !ok || !tc.ConnectionState().PeerCertificates[0].Equal(tt.leaf) {
		t.Fatalf("the WebSocket runs over a %T, not TLS with the certificate of -tls-cert", c.NetConn())
	}
	return &wsClient{t, c}
}

// pickScheme is how the page picks its WebSocket's scheme.
const pickScheme = `(location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws"`

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
	for _, path := range []string{"", "shoal.js", "peers"} {
		resp, err := hc.Get(page + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/%s over https: %d %q", path, resp.StatusCode, body)
		}
		if resp.TLS == nil || !resp.TLS.PeerCertificates[0].Equal(tt.leaf) {
			t.Fatalf("/%s not served with the certificate of -tls-cert", path)
		}
		if path == "" && !strings.Contains(string(body), pickScheme) {
			t.Fatalf("the page does not pick wss:// over https: %q", body)
		}
	}

	ann := dialWSS(t, ws, tt)
	bob := dialTLS(t, s.tcp.String(), tt)

	ann.send("say", map[string]any{"room": "lobby", "text": "too early", "key": "0"})
	ann.expect("error", `{"key":"0","room":"lobby","text":"you are not in lobby"}`)
	ann.hello("ann", "ann-session-0123456789")
	ann.send("join", map[string]any{"room": "lobby", "ref": "j"})
	ann.until("joined", nil)
	ann.expect("members", `{"room":"lobby","nicks":["ann"]}`)
	bob.send("/nick bob")
	bob.expect("* welcome, bob")
	bob.send("/join lobby")
	bob.expect("* now in lobby (0 earlier lines above)")
	bob.expect("* in lobby: ann, bob")
	ann.expect("presence", `{"room":"lobby","nick":"bob","joined":true}`)

	a := ann.says("lobby", "hi bob, over wss", "1")
	bob.expect("[lobby] <ann> hi bob, over wss")
	ann.expect("line", `{"room":"lobby","from":"ann","text":"hi bob, over wss","pos":"`+a.field("pos")+`"}`)
	long := strings.Repeat("x", maxText)
	bob.send(long)
	bob.expect("[lobby] <bob> " + long)
	if e := ann.expect("line", ""); e.field("from") != "bob" || e.field("text") != long {
		t.Fatalf("ann got %.80s", e.Data)
	}
	bob.send("/who")
	bob.expect("* in lobby: ann, bob")

	// Plaintext on either port: no page, no chat.
	if resp, err := (&http.Client{Timeout: patience}).Get("http://" + s.web.String() + "/"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("the page is served over plain http on the TLS port")
		}
	}
	if c, resp, err := (&gorilla.Dialer{HandshakeTimeout: patience}).Dial("ws://"+s.web.String()+"/ws", nil); err == nil {
		resp.Body.Close()
		c.Close()
		t.Fatal("a plain ws:// WebSocket opened on the TLS port")
	}
	plain, err := net.DialTimeout("tcp", s.tcp.String(), patience)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	io.WriteString(plain, "/nick eve\n/join lobby\n")
	plain.SetReadDeadline(time.Now().Add(patience))
	if line, err := bufio.NewReader(plain).ReadString('\n'); err == nil {
		t.Fatalf("a plaintext client on the tls:// port got %q", line)
	}

	// Leaving over TLS tells the room, as without it.
	bob.send("/quit")
	bob.expect("* bye")
	bob.closed()
	ann.expect("presence", `{"room":"lobby","nick":"bob","joined":false}`)
}

// TestChatPageInChromiumOverTLS loads the chat page over https in headless
// Chromium, which trusts the test certificate by its public key: the page
// opens its WebSocket with wss:// (a page loaded over https may not open
// ws://) and joins the room a TLS member is in.
func TestChatPageInChromiumOverTLS(t *testing.T) {
	s, tt := startTLS(t)
	spki := sha256.Sum256(tt.leaf.RawSubjectPublicKeyInfo)
	browser := newBrowser(t, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))

	bob := dialTLS(t, s.tcp.String(), tt)
	bob.login("bob")
	bob.send("/join lobby")
	bob.until("* in lobby: bob")
	bob.send("anyone on https?")
	bob.expect("[lobby] <bob> anyone on https?")

	p := newTab(t, browser, "chromium")
	p.open("https://" + s.web.String() + "/#room=lobby&name=chromium")
	p.ready()
	bob.until("* chromium joined lobby")
	if got, want := eval[string](p, `chat.client.url`), "wss://"+s.web.String()+"/ws"; got != want {
		t.Fatalf("the page's WebSocket is %s, want %s", got, want)
	}
	if got := said(p.waitLines(1)); len(got) != 1 || got[0] != "bob: anyone on https?" {
		t.Fatalf("the page shows %q", got)
	}
	p.say("yes, over wss")
	bob.expect("[lobby] <chromium> yes, over wss")
	p.waitLines(2)
	p.waitMembers("bob,chromium")
}
