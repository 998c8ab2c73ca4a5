package actor_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
	"github.com/stretchr/testify/require"
)

// Node 20 as a client: the npm ws package over wss://, and node's own tls
// module over tls://, each with TLS 1.2 and 1.3, trusting the test CA
// (option ca). The script is testdata/node/client.js; ws is installed in
// testdata/node/node_modules by .ci/run (npm ci), or here if it is missing.

const nodeDir = "testdata/node"

// nodeClient returns the node binary, with ws installed in nodeDir. Without
// node, or when npm cannot install ws (offline), the test is skipped, or
// fails under CI.
func nodeClient(t *testing.T) string {
	t.Helper()
	node := needTool(t, "node", "node is on the machine")
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "ws", "package.json")); err == nil {
		return node
	}
	nodeInstall.Do(func() { nodeInstall.err = npmInstall(t) })
	err := nodeInstall.err
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the npm ws package is not installed in %s and npm cannot install it: %v", nodeDir, err)
		}
		t.Skipf("npm ws package not installed in %s (%v)", nodeDir, err)
	}
	return node
}

// nodeResult runs client.js with args and returns its RESULT.
func nodeResult(t *testing.T, node string, args ...string) map[string]any {
	t.Helper()
	c := startChild(t, nodeDir, node, append([]string{"client.js"}, args...)...)
	_ = c.stdin.Close()
	out, err := c.wait(t)
	require.NoError(t, err, "node client.js %v:\n%s", args, out)
	_, js, ok := strings.Cut(out, "RESULT ")
	require.True(t, ok, "no RESULT line:\n%s", out)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(js)), &res), out)
	return res
}

// nodeInstall is the outcome of this process's one try at installing ws.
var nodeInstall struct {
	sync.Once
	err error
}

// npmInstall installs ws into nodeDir from its lock file.
func npmInstall(t *testing.T) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return err
	}
	c := startChild(t, nodeDir, npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--fetch-retries=1")
	_ = c.stdin.Close()
	if out, err := c.wait(t); err != nil {
		return fmt.Errorf("npm ci: %w: %s", err, strings.TrimSpace(lastLines(out, 5)))
	}
	return nil
}

var nodeVersions = []struct {
	name string
	v    uint16
}{{"TLSv1.2", tls.VersionTLS12}, {"TLSv1.3", tls.VersionTLS13}}

func TestTLSNodeWebSocket(t *testing.T) {
	node := nodeClient(t)
	for _, ver := range nodeVersions {
		t.Run(ver.name, func(t *testing.T) {
			pki := newPKI(t)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			require.NoError(t, os.WriteFile(ca, pki.ca.PEM, 0o600))
			p := newProbe()
			_, l := startSystem(t, "wss://127.0.0.1:0", websocket.Raw(websocket.Options{Path: "/echo", Compression: true}),
				wsEcho(p), actor.TLS(pki.serverConfig()))

			res := nodeResult(t, node, "wss", "wss://"+l.Addr().String()+"/echo", ca, ver.name)
			require.Equal(t, ver.name, res["tls"])
			require.Equal(t, true, res["authorized"], "node verified the server against the CA")
			require.Equal(t, true, res["text"])
			require.Equal(t, true, res["binary"])
			require.EqualValues(t, 1000, res["closeCode"])

			opened := p.next(t, isOpened).msg.(actor.Opened)
			require.NotNil(t, opened.TLS, "the socket ran TLS")
			require.Equal(t, ver.v, opened.TLS.Version)
			up := opened.Info.(*websocket.Upgrade)
			require.Equal(t, "/echo", up.Request.URL.Path)
			require.True(t, up.Compressed, "ws offers permessage-deflate")
			text := p.next(t, func(m any) bool { _, ok := m.(codec.Text); return ok }).msg.(codec.Text)
			require.Equal(t, strings.Repeat("hello from node ws ", 100), string(text))
			bin := p.next(t, isString).msg.(string)
			require.Len(t, bin, 70000)
			require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err, "ws closed with 1000")
		})
	}
}

func TestTLSNodeTLSModule(t *testing.T) {
	node := nodeClient(t)
	for _, ver := range nodeVersions {
		// node writes its first bytes as soon as its side of the handshake
		// is done: in TLS 1.3 that is before the server read its Finished.
		t.Run(ver.name, func(t *testing.T) { nodeTLSEcho(t, node, ver.name, ver.v, 200000) })
	}
	t.Run("TLSv1.3/first write over 256 KiB", func(t *testing.T) {
		nodeTLSEcho(t, node, "TLSv1.3", tls.VersionTLS13, 300000)
	})
}

// nodeTLSEcho has node's tls module send size random bytes to a tls:// echo
// listener with ALPN, and checks both ends.
func nodeTLSEcho(t *testing.T, node, name string, v uint16, size int) {
	pki := newPKI(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pki.ca.PEM, 0o600))
	cfg := pki.serverConfig()
	cfg.NextProtos = []string{"shoal/1"}
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if b, ok := ctx.Message().([]byte); ok {
			_ = ctx.WriteBytes(b)
		}
	}
	_, l := startSystem(t, "tls://127.0.0.1:0", codec.Bytes(codec.Raw()), p.factory, actor.TLS(cfg))

	_, port, err := net.SplitHostPort(l.Addr().String())
	require.NoError(t, err)
	res := nodeResult(t, node, "tls", "127.0.0.1", port, ca, name, strconv.Itoa(size))
	require.Equal(t, name, res["tls"])
	require.Equal(t, "shoal/1", res["alpn"], "node negotiated the ALPN protocol")
	require.Equal(t, true, res["authorized"], "node verified the server against the CA")
	require.EqualValues(t, size, res["echoed"])

	opened := p.next(t, isOpened).msg.(actor.Opened)
	require.NotNil(t, opened.TLS)
	require.Equal(t, v, opened.TLS.Version)
	require.Equal(t, "shoal/1", opened.TLS.NegotiatedProtocol, "the server negotiated the ALPN protocol")
	require.NoError(t, p.next(t, isClosed).msg.(actor.Closed).Err, "node ended with a close_notify")
}
