package actor_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The interop tests (openssl_tls_test.go, node_tls_test.go,
// browser_tls_test.go) drive real TLS clients as child processes. Each
// process is bounded by a context (killed, with its own pid only, when the
// context ends) and waited for before the system's leak checks run.

// needTool returns the path of an external program, skipping the test if it
// is not installed, or failing it under CI (where .ci/run installs it).
func needTool(t *testing.T, name, why string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed: %s", name, why)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// output collects a child's stdout and stderr, and wakes waiters on each
// write.
type output struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{} // capacity 1: something was written
}

func newOutput() *output { return &output{wrote: make(chan struct{}, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.b.Write(p)
	o.mu.Unlock()
	select {
	case o.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// child is an external program the test started.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *output
	exited chan struct{} // closed once Wait returned
	err    error         // Wait's error, set before exited closes
}

// startChild starts name with args in dir (if not empty), its stdin a pipe
// and its stdout and stderr collected. It is killed if still running after
// waitFor, and at the latest when the test ends (which waits for it); the
// kill names only this process.
func startChild(t *testing.T, dir, name string, args ...string) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = time.Second // bound the copy of its output after a kill
	c := &child{cmd: cmd, out: newOutput(), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	c.stdin = stdin
	if err := cmd.Start(); err != nil {
		cancel()
		require.NoError(t, err, "start %s", name)
	}
	go func() {
		c.err = cmd.Wait()
		cancel()
		close(c.exited)
	}()
	t.Cleanup(func() {
		cancel() // kills it if it still runs
		<-c.exited
	})
	return c
}

// waitOutput waits until the child's output contains s, failing the test
// if the child exits first or waitFor passes. It returns the output.
func (c *child) waitOutput(t *testing.T, s string) string {
	t.Helper()
	return c.waitCount(t, s, 1)
}

// waitCount waits until the child's output contains s n times, failing
// the test if the child exits first or waitFor passes. It returns the
// output.
func (c *child) waitCount(t *testing.T, s string, n int) string {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		if out := c.out.String(); strings.Count(out, s) >= n {
			return out
		}
		select {
		case <-c.out.wrote:
		case <-c.exited:
			if out := c.out.String(); strings.Count(out, s) >= n {
				return out
			}
			t.Fatalf("%s exited (%v) before writing %q (%d times); its output:\n%s", c.cmd.Path, c.err, s, n, c.out.String())
		case <-deadline:
			t.Fatalf("%s did not write %q (%d times) within %v; its output:\n%s", c.cmd.Path, s, n, waitFor, c.out.String())
		}
	}
}

// wait waits for the child to exit and returns its output and Wait's error.
func (c *child) wait(t *testing.T) (string, error) {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(waitFor + 2*time.Second): // its context kills it at waitFor
		t.Fatalf("%s did not exit; its output:\n%s", c.cmd.Path, c.out.String())
	}
	return c.out.String(), c.err
}
