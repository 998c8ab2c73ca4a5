package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/shoalrt/shoal/bench/internal/load"
)

// runConfig is what every single run shares.
type runConfig struct {
	pin     pinning
	loadBin string
	tmp     string // logs go here
	warmup  time.Duration
	window  time.Duration
	settle  time.Duration
	sources string // -sources for the idle, room and handshake scenarios
	// certFile and keyFile are the PEM certificate (also the load
	// generator's root) and key that the TLS servers serve.
	certFile, keyFile string
	tlsCurves         string // -curves of the load generator in the TLS scenarios
	serverID          int    // counts runs, to name their logs
	// roomWarmup and roomWindow replace warmup and window in room scenarios.
	roomWarmup, roomWindow time.Duration
}

// timing returns the warm-up and window of a run of sc.
func (rc *runConfig) timing(sc scenario) (warmup, window time.Duration) {
	if sc.kind == kindRoom {
		return rc.roomWarmup, rc.roomWindow
	}
	return rc.warmup, rc.window
}

// runOnce starts a fresh server s, runs the load generator once for sc
// against it, ends the server and returns the load generator's result.
func runOnce(ctx context.Context, rc *runConfig, sc scenario, s *server) (load.Result, error) {
	addr, err := freeAddr()
	if err != nil {
		return load.Result{}, err
	}
	rc.serverID++
	logPath := filepath.Join(rc.tmp, fmt.Sprintf("%03d-%s-%s.log", rc.serverID, s.name, sc.name))
	var extra []string
	if s.certFlags[0] != "" {
		extra = []string{s.certFlags[0], rc.certFile, s.certFlags[1], rc.keyFile}
	}
	sp, err := startServer(rc.pin, s, addr, logPath, extra...)
	if err != nil {
		return load.Result{}, err
	}
	defer sp.stop()
	if err := sp.waitReady(ctx, addr); err != nil {
		return load.Result{}, err
	}

	args := []string{
		"-addr", addr,
		"-conns", strconv.Itoa(sc.conns),
		"-size", strconv.Itoa(sc.size),
		"-depth", strconv.Itoa(sc.depth),
		"-server-pid", strconv.Itoa(sp.pid()),
	}
	switch sc.kind {
	case kindWS:
		args = append(args, "-proto", "ws")
	case kindTLS:
		args = append(args, "-proto", "tls", "-ca", rc.certFile, "-curves", rc.tlsCurves)
	}
	warmup, window := rc.timing(sc)
	switch {
	case sc.handshake != "":
		args = append(args, "-handshakes", "-resume="+strconv.FormatBool(sc.handshake == handshakeResumed),
			"-sources", rc.sources, "-warmup", warmup.String(), "-duration", window.String())
	case sc.idle:
		args = append(args, "-idle", "-sources", rc.sources, "-settle", rc.settle.String())
	case sc.kind == kindRoom:
		args = append(args, "-room", "-senders", strconv.Itoa(sc.senders), "-ahead", strconv.Itoa(sc.depth),
			"-sources", rc.sources, "-warmup", warmup.String(), "-duration", window.String())
	default:
		args = append(args, "-warmup", warmup.String(), "-duration", window.String())
	}
	var stdout, stderr bytes.Buffer
	cmd := rc.pin.command(ctx, rc.pin.loadCPU, rc.loadBin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return load.Result{}, ctx.Err()
		}
		return load.Result{}, exitErr("load generator", err, stderr.Bytes())
	}
	if !sp.alive() {
		return load.Result{}, fmt.Errorf("server exited during the run; log:\n%s", sp.logTail())
	}
	var res load.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return load.Result{}, fmt.Errorf("load generator output: %w: %q", err, tail(stdout.String(), 3))
	}
	return res, nil
}
