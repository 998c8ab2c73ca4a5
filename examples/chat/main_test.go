package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

const patience = 20 * time.Second

// wire is one message as both codecs put it on the wire.
type wire struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func start(t *testing.T) (web, tcp net.Addr) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan [2]net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2}, func(w, t net.Addr) {
			addrs <- [2]net.Addr{w, t}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		goleak.VerifyNone(t, goleak.IgnoreCurrent())
	})
	select {
	case a := <-addrs:
		return a[0], a[1]
	case err := <-done:
		t.Fatal(err)
	}
	return nil, nil
}

// wsClient and tcpClient speak the chat's JSON over each transport.
type client interface {
	send(t *testing.T, typ, data string)
	next(t *testing.T) wire
}

type wsClient struct{ c *gorilla.Conn }

func (w wsClient) send(t *testing.T, typ, data string) {
	t.Helper()
	if err := w.c.WriteMessage(gorilla.TextMessage, []byte(`{"type":"`+typ+`","data":`+data+`}`)); err != nil {
		t.Fatal(err)
	}
}

func (w wsClient) next(t *testing.T) wire {
	t.Helper()
	kind, b, err := w.c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if kind != gorilla.TextMessage {
		t.Fatalf("message of kind %d, want text", kind)
	}
	var m wire
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return m
}

type tcpClient struct {
	c net.Conn
	r *bufio.Reader
}

func (c tcpClient) send(t *testing.T, typ, data string) {
	t.Helper()
	if _, err := io.WriteString(c.c, `{"type":"`+typ+`","data":`+data+"}\n"); err != nil {
		t.Fatal(err)
	}
}

func (c tcpClient) next(t *testing.T) wire {
	t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var m wire
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return m
}

// expect reads the next message and checks its type and data.
func expect(t *testing.T, c client, typ, data string) {
	t.Helper()
	m := c.next(t)
	if m.Type != typ || string(m.Data) != data {
		t.Fatalf("got %s %s, want %s %s", m.Type, m.Data, typ, data)
	}
}

func TestChatAcrossTransports(t *testing.T) {
	web, tcp := start(t)

	// The page is served on the WebSocket's port.
	resp, err := (&http.Client{Timeout: patience}).Get("http://" + web.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "new WebSocket") {
		t.Fatalf("page: %d", resp.StatusCode)
	}

	wc, resp, err := (&gorilla.Dialer{HandshakeTimeout: patience, EnableCompression: true}).Dial("ws://"+web.String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer wc.Close()
	wc.SetReadDeadline(time.Now().Add(patience))
	ann := wsClient{wc}

	tc, err := net.DialTimeout("tcp", tcp.String(), patience)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(patience))
	bob := tcpClient{tc, bufio.NewReader(tc)}

	// Bad input gets a Problem and loses nothing else.
	ann.send(t, "Say", `{"Text":"too early"}`)
	expect(t, ann, "Problem", `{"Text":"join a room first"}`)
	bob.send(t, "Join", `{"Room":"","Name":"bob"}`)
	expect(t, bob, "Problem", `{"Text":"a room and a name of 1 to 32 bytes, please"}`)

	ann.send(t, "Join", `{"Room":"lobby","Name":"ann"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"ann"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"bob"}`)

	ann.send(t, "Say", `{"Text":"hi bob, from a browser"}`)
	for _, c := range []client{ann, bob} {
		expect(t, c, "Said", `{"Room":"lobby","From":"ann","Text":"hi bob, from a browser"}`)
	}
	bob.send(t, "Say", `{"Text":"hi ann, from nc"}`)
	for _, c := range []client{ann, bob} {
		expect(t, c, "Said", `{"Room":"lobby","From":"bob","Text":"hi ann, from nc"}`)
	}

	// Moving to another room leaves the first; a message of an unknown type
	// closes only the connection that sent it, and the room hears it left.
	bob.send(t, "Join", `{"Room":"den","Name":"bob"}`)
	expect(t, ann, "Left", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"den","Name":"bob"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	bob.send(t, "Shout", `{}`)
	if _, err := bob.r.ReadString('\n'); err == nil {
		t.Fatal("the connection that sent an unknown type is still open")
	}
	expect(t, ann, "Left", `{"Room":"lobby","Name":"bob"}`)
	ann.send(t, "Say", `{"Text":"still here"}`)
	expect(t, ann, "Said", `{"Room":"lobby","From":"ann","Text":"still here"}`)
}

// TestChatPageInChromium loads the chat page in headless Chromium with a
// link that joins a room: a TCP member of that room sees the browser join,
// which proves the page's script and the WebSocket path end to end.
func TestChatPageInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium not installed")
	}
	web, tcp := start(t)
	tc, err := net.DialTimeout("tcp", tcp.String(), patience)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(patience))
	bob := tcpClient{tc, bufio.NewReader(tc)}
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)

	cmd := exec.Command(browser, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--disable-extensions", "--user-data-dir="+t.TempDir(),
		"http://"+web.String()+"/#room=lobby&name=chromium")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers die with it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"chromium"}`)
}
