package actor_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/stretchr/testify/require"
)

// browserPage is served on the same port as the socket. It sends a long
// text (compressed when permessage-deflate was negotiated), then a binary
// message, checks each echo, reports the outcome as text, and closes with
// 1000 once the report is echoed.
const browserPage = `<!doctype html><html><body><script>
const ws = new WebSocket("ws://" + location.host + "/ws");
ws.binaryType = "arraybuffer";
const text = "hello from chromium ".repeat(50);
let step = 0;
ws.onopen = () => ws.send(text);
ws.onmessage = (e) => {
  if (step === 0) {
    step = 1;
    if (e.data !== text) { ws.send("fail:text"); return; }
    ws.send(new Uint8Array([1, 2, 3, 250]).buffer);
  } else if (step === 1) {
    step = 2;
    const a = new Uint8Array(e.data);
    ws.send(a.length === 4 && a[0] === 1 && a[3] === 250 ? "done:ok" : "fail:binary");
  } else {
    ws.close(1000, "bye");
  }
};
</script></body></html>`

// findBrowser returns the path of a Chromium binary, or "" if none is
// installed (CI installs Debian's chromium package).
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func TestWebSocketHeadlessChromium(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium not installed")
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, browserPage)
	})
	p := newProbe()
	_, l := startSystem(t, "tcp://127.0.0.1:0",
		websocket.Raw(websocket.Options{Path: "/ws", HTTP: page, Compression: true}), wsEcho(p))

	cmd := exec.Command(browser, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--disable-extensions", "--user-data-dir="+t.TempDir(),
		"http://"+l.Addr().String()+"/")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers die with it
	require.NoError(t, cmd.Start())
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()

	opened := p.next(t, isOpened).msg.(actor.Opened)
	up := opened.Info.(*websocket.Upgrade)
	require.True(t, up.Compressed, "Chromium offers permessage-deflate; it must be negotiated")
	require.Contains(t, up.Request.Header.Get("User-Agent"), "Chrome")

	text := p.next(t, func(m any) bool { _, ok := m.(codec.Text); return ok }).msg.(codec.Text)
	require.Equal(t, strings.Repeat("hello from chromium ", 50), string(text))
	bin := p.next(t, func(m any) bool { _, ok := m.(string); return ok }).msg
	require.Equal(t, "\x01\x02\x03\xfa", bin)
	report := p.next(t, func(m any) bool { _, ok := m.(codec.Text); return ok }).msg.(codec.Text)
	require.Equal(t, "done:ok", string(report))
	closed := p.next(t, isClosed).msg.(actor.Closed)
	require.NoError(t, closed.Err, "the browser closed with 1000")
}
