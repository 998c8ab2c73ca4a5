package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// jsDir is the client library's folder; .ci/run installs its dev
// dependency ws there (npm ci).
const jsDir = "../../js"

// needNode returns the node binary, with ws installed in jsDir (installing
// it from the lock file if need be). Without node or ws the test is
// skipped, or fails under CI.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		if _, err = os.Stat(filepath.Join(jsDir, "node_modules", "ws", "package.json")); err != nil {
			npmOnce.Do(func() {
				cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")
				cmd.Dir = jsDir
				if out, err := cmd.CombinedOutput(); err != nil {
					npmErr = err
					t.Logf("npm ci: %s", out)
				}
			})
			err = npmErr
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node with the npm ws package is needed (.ci/run installs it): %v", err)
		}
		t.Skipf("node with the npm ws package: %v", err)
	}
	return node
}

var (
	npmOnce sync.Once
	npmErr  error
)

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The client library in Node against the real server: two clients in a
// room, lines said before, while and after the server restarts (with its
// JetStream data kept): the lines said while it was away wait in the
// library's outbox and are resent once it is back; the other client ends
// with every line exactly once, in order (js/interop/chat.mjs checks).
func TestClientLibraryInNode(t *testing.T) {
	node := needNode(t)
	cfg := config{web: freeAddr(t), tcp: freeAddr(t), shards: 2, node: 1, natsListen: freeAddr(t),
		natsData: t.TempDir(), heartbeat: 200 * time.Millisecond, limits: testLimits}
	s := run(t, cfg, false) // the second one's leak check covers both

	cmd := exec.Command(node, filepath.Join(jsDir, "interop", "chat.mjs"), "ws://"+s.web.String()+"/ws")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(want string) string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok || (want != "" && l != want) {
				t.Fatalf("node said %q (open %v), want %q", l, ok, want)
			}
			return l
		case <-time.After(patience * 2):
			t.Fatalf("node said nothing, waiting for %q", want)
		}
		return ""
	}
	next("ready")
	s.stop() // the server goes away (gracefully: its clients see 1001)
	io.WriteString(stdin, "restart\n")
	next("queued")
	startNode(t, cfg) // back on the same addresses, with the same JetStream data
	io.WriteString(stdin, "check\n")
	var res struct {
		OK   bool     `json:"ok"`
		Said []string `json:"said"`
		Got  []string `json:"got"`
		Why  string   `json:"why"`
	}
	out := next("")
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.OK {
		t.Fatalf("node: %s", out)
	}
	if len(res.Said) != 9 || !slices.Equal(res.Said, res.Got) || !strings.Contains(out, `"during 2"`) {
		t.Fatalf("node: %s", out)
	}
}
