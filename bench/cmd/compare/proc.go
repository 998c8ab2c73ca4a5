package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// pinning says where the server and the load generator run.
type pinning struct {
	on        bool   // use taskset; off when taskset is missing
	serverCPU string // CPU list for the server, e.g. "0"
	loadCPU   string // CPU list for the load generator, e.g. "1"
}

// command returns bin with args, pinned to cpu with taskset when p.on (taskset
// execs bin, so the process ID is bin's), with GOMAXPROCS=1, in its own
// process group (a Ctrl-C reaches only this runner, which then ends the
// children itself) and killed by the kernel if the runner dies first.
func (p pinning) command(ctx context.Context, cpu, bin string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if p.on {
		cmd = exec.CommandContext(ctx, "taskset", append([]string{"-c", cpu, bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 3 * time.Second
	return cmd
}

// serverProc is a running server.
type serverProc struct {
	cmd     *exec.Cmd
	logPath string
	log     *os.File
	done    chan struct{} // closed when the process has exited
}

// startServer starts s listening on addr, with extra flags after its own,
// its output in logPath.
func startServer(p pinning, s *server, addr, logPath string, extra ...string) (*serverProc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	// Not tied to a context: stop ends it, by PID, on every path.
	cmd := p.command(context.Background(), p.serverCPU, s.bin, slices.Concat([]string{"-addr", addr}, s.args, extra)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	sp := &serverProc{cmd: cmd, logPath: logPath, log: f, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(sp.done)
	}()
	return sp, nil
}

// pid returns the server's process ID.
func (sp *serverProc) pid() int { return sp.cmd.Process.Pid }

// alive reports whether the server is still running.
func (sp *serverProc) alive() bool {
	select {
	case <-sp.done:
		return false
	default:
		return true
	}
}

// waitReady waits until addr accepts a connection, the server exits, ctx ends
// or 10 s pass.
func (sp *serverProc) waitReady(ctx context.Context, addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.(*net.TCPConn).SetLinger(0)
			return c.Close()
		}
		if !sp.alive() {
			return fmt.Errorf("server exited before listening; log:\n%s", sp.logTail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not listening on %s after 10 s; log:\n%s", addr, sp.logTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond): // poll; the server gives no other signal
		}
	}
}

// stop ends the server by its PID: SIGTERM, then SIGKILL after 3 s.
func (sp *serverProc) stop() {
	defer sp.log.Close()
	if !sp.alive() {
		return
	}
	_ = syscall.Kill(sp.pid(), syscall.SIGTERM)
	select {
	case <-sp.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(sp.pid(), syscall.SIGKILL)
		<-sp.done
	}
}

// logTail returns the end of the server's output.
func (sp *serverProc) logTail() string {
	b, err := os.ReadFile(sp.logPath)
	if err != nil {
		return err.Error()
	}
	return tail(string(b), 10)
}

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// exitErr describes how a child process failed, with its stderr.
func exitErr(what string, err error, stderr []byte) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("%s: exit %s: %s", what, strconv.Itoa(ee.ExitCode()), tail(string(stderr), 5))
	}
	return fmt.Errorf("%s: %w", what, err)
}
