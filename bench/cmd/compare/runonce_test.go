package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shoalrt/shoal/bench/internal/tlscert"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunOnce builds the load generator and the std, gnet and WebSocket
// servers, runs one short unpinned round of each kind and checks the
// results: every echo (every WebSocket echo too) equal to what was sent.
func TestRunOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	ctx := context.Background()
	tmp := t.TempDir()
	benchDir, err := moduleDir(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rc := &runConfig{loadBin: filepath.Join(tmp, "load"), tmp: tmp,
		warmup: 20 * time.Millisecond, window: 200 * time.Millisecond, settle: time.Millisecond,
		roomWarmup: 20 * time.Millisecond, roomWindow: 200 * time.Millisecond,
		sources: "127.0.0.2-127.0.0.3"}
	if err := goBuild(ctx, benchDir, "./cmd/load", rc.loadBin); err != nil {
		t.Fatal(err)
	}
	if rc.certFile, rc.keyFile, err = tlscert.WriteFiles(tmp); err != nil {
		t.Fatal(err)
	}
	srvs, err := pickServers("std,gnet,gnet-naive,hub,gnet-ws,shoal-ws,std-tls,nbio-tls,shoal-tls", kindEcho, kindRoom, kindWS, kindTLS)
	if err != nil {
		t.Fatal(err)
	}
	skipped := buildServers(ctx, srvs, benchDir, tmp)
	if _, ok := skipped["shoal-tls (tls)"]; ok {
		t.Logf("shoal-tls skipped: %s", skipped["shoal-tls (tls)"])
		delete(skipped, "shoal-tls (tls)")
	}
	if len(skipped) > 0 {
		t.Fatalf("build: %v", skipped)
	}
	byLabel := map[string]*server{}
	for _, s := range srvs {
		byLabel[s.label()] = s
	}

	room := scenario{name: "room", kind: kindRoom, conns: 30, size: 32, depth: 8, senders: 3}
	wsPP := scenario{name: "ws-pp", kind: kindWS, conns: 4, size: 64, depth: 1}
	wsBig := scenario{name: "ws-big", kind: kindWS, conns: 4, size: 4096, depth: 1}
	wsPL := scenario{name: "ws-pl", kind: kindWS, conns: 4, size: 64, depth: 4}
	wsIdle := scenario{name: "ws-idle", kind: kindWS, conns: 20, size: 64, depth: 1, idle: true}
	tlsPP := scenario{name: "tls-pp", kind: kindTLS, conns: 4, size: 64, depth: 1}
	tlsBig := scenario{name: "tls-big", kind: kindTLS, conns: 4, size: 4096, depth: 1}
	tlsFull := scenario{name: "tls-full", kind: kindTLS, handshake: handshakeFull, conns: 2, size: 64, depth: 1}
	tlsResumed := scenario{name: "tls-resumed", kind: kindTLS, handshake: handshakeResumed, conns: 2, size: 64, depth: 1}
	tlsIdle := scenario{name: "tls-idle", kind: kindTLS, conns: 20, size: 64, depth: 1, idle: true}
	tests := []struct {
		name    string
		server  string
		sc      scenario
		mayDrop bool // the server drops slow members by design (the hub)
	}{
		{name: "ping-pong", server: "std (echo)", sc: scenario{name: "pp", kind: kindEcho, conns: 4, size: 64, depth: 1}},
		{name: "pipelined", server: "std (echo)", sc: scenario{name: "pl", kind: kindEcho, conns: 4, size: 64, depth: 4}},
		{name: "idle", server: "std (echo)", sc: scenario{name: "idle", kind: kindEcho, conns: 20, size: 64, depth: 1, idle: true}},
		{name: "room, hub", server: "hub (room)", sc: room, mayDrop: true},
		{name: "room, gnet combining", server: "gnet (room)", sc: room},
		{name: "room, gnet naive", server: "gnet-naive (room)", sc: room},
		{name: "ws ping-pong, gnet", server: "gnet-ws (ws)", sc: wsPP},
		{name: "ws 4 KiB, gnet", server: "gnet-ws (ws)", sc: wsBig},
		{name: "ws pipelined, gnet", server: "gnet-ws (ws)", sc: wsPL},
		{name: "ws idle, gnet", server: "gnet-ws (ws)", sc: wsIdle},
		{name: "ws ping-pong, shoal", server: "shoal-ws (ws)", sc: wsPP},
		{name: "ws 4 KiB, shoal", server: "shoal-ws (ws)", sc: wsBig},
		{name: "ws pipelined, shoal", server: "shoal-ws (ws)", sc: wsPL},
		{name: "ws idle, shoal", server: "shoal-ws (ws)", sc: wsIdle},
	}
	for _, srv := range []string{"std-tls", "nbio-tls", "shoal-tls"} {
		for _, sc := range []scenario{tlsPP, tlsBig, tlsFull, tlsResumed, tlsIdle} {
			tests = append(tests, struct {
				name    string
				server  string
				sc      scenario
				mayDrop bool
			}{name: sc.name + ", " + srv, server: srv + " (tls)", sc: sc})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if byLabel[tt.server].bin == "" {
				t.Skipf("%s not built", tt.server)
			}
			res, err := runOnce(ctx, rc, tt.sc, byLabel[tt.server])
			if err != nil {
				t.Fatal(err)
			}
			dropped := tt.mayDrop && res.ConnErrors > 0 // a loaded machine makes members slow
			if res.BadEchoes != 0 || res.Conns != tt.sc.conns || res.Gaps != 0 ||
				(!dropped && (res.ConnErrors != 0 || res.Missing != 0)) {
				t.Fatalf("result %+v", res)
			}
			if !tt.sc.idle && (res.Messages == 0 || !res.ServerCPUMeasured) {
				t.Fatalf("nothing measured: %+v", res)
			}
			if tt.sc.idle && res.RSSAfter == 0 {
				t.Fatalf("no RSS: %+v", res)
			}
			if tt.sc.handshake == handshakeFull && res.Resumed != 0 || tt.sc.handshake == handshakeResumed && res.Resumed == 0 {
				t.Fatalf("%s handshakes, %d of %d resumed", tt.sc.handshake, res.Resumed, res.Messages)
			}
		})
	}
}

func TestServerStopEndsProcess(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("no sleep binary")
	}
	// A "server" that ignores its flags and waits a minute.
	dir := t.TempDir()
	bin := filepath.Join(dir, "waiter")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sp, err := startServer(pinning{}, &server{name: "waiter", bin: bin}, "127.0.0.1:1", filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	pid := sp.pid()
	if !sp.alive() {
		t.Fatalf("waiter exited at once; log:\n%s", sp.logTail())
	}
	sp.stop()
	if sp.alive() {
		t.Fatal("server alive after stop")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("kill(%d, 0) = %v, want ESRCH", pid, err)
	}
}
