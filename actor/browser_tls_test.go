package actor_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/stretchr/testify/require"
)

// browserTLSPage is served over https by the wss:// listener that serves
// its socket. It opens the socket with the scheme its own page was loaded
// with (wss:// for https, as examples/chat does), reports where it runs,
// checks a binary echo, and closes with 1000 once its verdict is echoed.
const browserTLSPage = `<!doctype html><html><body><script>
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
ws.binaryType = "arraybuffer";
let step = 0;
ws.onopen = () => ws.send("page " + location.protocol + " socket " + ws.url);
ws.onmessage = (e) => {
  if (step === 0) {
    step = 1;
    ws.send(new Uint8Array([9, 8, 7, 0, 255]).buffer);
  } else if (step === 1) {
    step = 2;
    const a = new Uint8Array(e.data);
    ws.send(a.length === 5 && a[0] === 9 && a[4] === 255 ? "done:ok" : "fail:binary");
  } else {
    ws.close(1000, "bye");
  }
};
</script></body></html>`

// TestTLSHeadlessChromium: Debian's chromium loads a page over https from a
// wss:// listener and talks to it over wss://. The test CA is trusted in
// two ways that touch nothing outside the test's temporary directories:
// added to an NSS database in a temporary HOME (where chromium on Linux
// reads the user's trust anchors; needs certutil, from libnss3-tools), and
// the leaf's public key named with --ignore-certificate-errors-spki-list
// (honoured only with --user-data-dir). Without either, chromium refuses
// the certificate: the control that shows the trust is what made it work.
func TestTLSHeadlessChromium(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium not installed")
	}
	t.Run("CA in an NSS database", func(t *testing.T) {
		certutil := needTool(t, "certutil", ".ci/run installs libnss3-tools")
		pki := newPKI(t)
		home := t.TempDir()
		db := "sql:" + filepath.Join(home, ".pki", "nssdb")
		require.NoError(t, os.MkdirAll(filepath.Join(home, ".pki", "nssdb"), 0o700))
		ca := filepath.Join(t.TempDir(), "ca.pem")
		require.NoError(t, os.WriteFile(ca, pki.ca.PEM, 0o600))
		for _, args := range [][]string{
			{"-N", "-d", db, "--empty-password"},
			{"-A", "-d", db, "-n", "shoal test CA", "-t", "C,,", "-i", ca},
		} {
			c := startChild(t, "", certutil, args...)
			_ = c.stdin.Close()
			out, err := c.wait(t)
			require.NoError(t, err, "certutil %v: %s", args, out)
		}
		browserOverWSS(t, browser, pki, []string{"HOME=" + home})
	})
	t.Run("leaf SPKI", func(t *testing.T) {
		pki := newPKI(t)
		leaf, err := x509.ParseCertificate(pki.server.TLS.Certificate[0])
		require.NoError(t, err)
		spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
		browserOverWSS(t, browser, pki, []string{"HOME=" + t.TempDir()},
			"--ignore-certificate-errors-spki-list="+base64.StdEncoding.EncodeToString(spki[:]))
	})
	t.Run("CA not trusted", func(t *testing.T) {
		pki := newPKI(t)
		p := newProbe()
		sys, l := startSystem(t, "wss://127.0.0.1:0",
			websocket.Raw(websocket.Options{Path: "/ws", HTTP: http.NotFoundHandler()}), wsEcho(p), actor.TLS(pki.serverConfig()))
		out := startChromium(t, browser, []string{"HOME=" + t.TempDir()}, "https://"+l.Addr().String()+"/")
		// chromium answers the certificate with an alert: the handshake fails.
		require.Eventually(t, func() bool { return sumStats(sys).TLSFailures > 0 }, waitFor, 10*time.Millisecond,
			"chromium's output:\n%s", out)
		require.Zero(t, sumStats(sys).TLSHandshakes, "no handshake completed")
		select {
		case e := <-p.events:
			t.Fatalf("an actor saw %#v", e.msg)
		default:
		}
	})
}

// startChromium starts headless chromium (with env and args) in a process
// group of its own, killed when the test ends or after waitFor, and
// returns its output.
func startChromium(t *testing.T, browser string, env []string, args ...string) *output {
	t.Helper()
	out := newOutput()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	args = append([]string{"--headless=new", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--disable-extensions", "--disable-background-networking",
		"--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, browser, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers are in its group
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		require.NoError(t, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cancel() // kills chromium's process group: only what this test started
		<-exited
	})
	return out
}

// browserOverWSS serves browserTLSPage and its socket on a wss://
// listener with pki's server certificate, points chromium (with env and
// extra flags) at it over https, and checks the conversation.
func browserOverWSS(t *testing.T, browser string, pki *testPKI, env []string, extra ...string) {
	t.Helper()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, browserTLSPage)
	})
	cfg := pki.serverConfig()
	cfg.NextProtos = []string{"http/1.1"} // chromium offers h2 for the page, http/1.1 only for a WebSocket
	p := newProbe()
	sys, l := startSystem(t, "wss://127.0.0.1:0",
		websocket.Raw(websocket.Options{Path: "/ws", HTTP: page}), wsEcho(p), actor.TLS(cfg))
	origin := "https://" + l.Addr().String()

	out := startChromium(t, browser, env, append(extra, origin+"/")...)

	// next is p.next, saying what chromium printed and what the listener
	// counted if nothing comes.
	next := func(what string, match func(any) bool) any {
		t.Helper()
		deadline := time.After(waitFor)
		for {
			select {
			case e := <-p.events:
				if match(e.msg) {
					return e.msg
				}
			case <-deadline:
				t.Fatalf("no %s within %v (listener: %+v); chromium's output:\n%s", what, waitFor, sumStats(sys), out.String())
			}
		}
	}
	isText := func(m any) bool { _, ok := m.(codec.Text); return ok }

	opened := next("Opened", isOpened).(actor.Opened)
	require.NotNil(t, opened.TLS, "the socket ran TLS")
	require.GreaterOrEqual(t, opened.TLS.Version, uint16(tls.VersionTLS12))
	require.Equal(t, "http/1.1", opened.TLS.NegotiatedProtocol)
	up := opened.Info.(*websocket.Upgrade)
	require.Contains(t, up.Request.Header.Get("User-Agent"), "Chrome")
	require.Equal(t, origin, up.Request.Header.Get("Origin"), "the page came from the https origin")

	report := next("the page's report", isText).(codec.Text)
	require.Equal(t, "page https: socket wss://"+l.Addr().String()+"/ws", string(report))
	require.Equal(t, "\x09\x08\x07\x00\xff", next("the binary message", isString))
	require.Equal(t, "done:ok", string(next("the verdict", isText).(codec.Text)))
	closed := next("Closed", isClosed).(actor.Closed)
	require.NoError(t, closed.Err, "the page closed with 1000")
	require.NotZero(t, sumStats(sys).TLSHandshakes)
	if strings.Contains(out.String(), "ERR_CERT") {
		t.Logf("chromium's output:\n%s", out.String())
	}
}
