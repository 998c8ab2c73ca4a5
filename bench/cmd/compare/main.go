// Command compare runs Shoal's servers side by side with peer servers under
// the same loads on this machine and prints one table per scenario with
// absolute figures and Shoal/peer ratios: the echo server against gnet v2
// and the Go standard library; (-scenarios rooms) a chat room on Shoal's
// groups against gnet v2 by hand (write-combining and naive) and the classic
// Go hub; and (-scenarios ws) Shoal's WebSocket echo (codec/websocket, raw)
// against gnet v2 with gobwas/ws in the style of gnet's WebSocket example
// (servers/gnetws), under the echo shapes over WebSocket: every connection
// upgrades with a handshake, then each message is one masked binary frame
// echoed as one unmasked binary frame (ws-pingpong-64B-100c,
// ws-pingpong-4KiB-100c, ws-pipeline32-64B-100c, ws-idle-mem); and
// (-scenarios tls) Shoal's echo over tls:// (examples/echo -tls-cert
// -tls-key) against the standard library (crypto/tls over net, a goroutine
// per connection: servers/stdtls) and nbio's TLS extension (servers/nbiotls)
// under TLS ping-pong (tls-pingpong-64B-100c, tls-pingpong-64B-1000c,
// tls-pingpong-4KiB-100c), handshake rates (tls-handshake-full: new
// connections, no session cache; tls-handshake-resumed: a client session
// cache, tickets from the server) and memory per idle TLS connection
// (tls-idle-mem). It makes a self-signed ECDSA P-256 certificate for
// 127.0.0.1 in its temporary directory, which the servers serve and the load
// generator verifies them with. The load generator offers X25519 alone
// (-tls-curves): with crypto/tls's default X25519MLKEM768 hybrid, a
// handshake costs the one-core client (ML-KEM key generation and
// decapsulation, an ECDSA verification) more than the server (encapsulation,
// an ECDSA signature), and the handshake scenarios would measure the client. A Shoal checkout whose examples/echo has no
// -tls-cert flag is skipped in the TLS scenarios.
//
//	cd bench && go run ./cmd/compare                      # echo scenarios, ~4 min
//	cd bench && go run ./cmd/compare -scenarios rooms     # room scenarios, ~4 min
//	cd bench && go run ./cmd/compare -scenarios ws        # WebSocket echo scenarios, ~2.5 min
//	cd bench && go run ./cmd/compare -scenarios tls       # TLS scenarios, ~6 min
//	cd bench && go run ./cmd/compare -duration 2s -rounds 1 -scenarios pingpong-64B-100c
//	cd bench && go run ./cmd/compare -json out.json
//	cd bench && go run ./cmd/compare -prev /tmp/old   # also each Shoal server built from another checkout
//
// It builds every server and the load generator (cmd/load) into a temporary
// directory; a server that does not build is skipped with the reason. For each
// scenario and round it runs every server in turn (rotating the order each
// round), each in a fresh process pinned to -server-cpu with GOMAXPROCS=1 and
// one event loop, and the load generator pinned to -load-cpu. Every process it
// starts is ended by its PID when its run ends, on error and on Ctrl-C too.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/bench/internal/load"
	"github.com/shoalrt/shoal/bench/internal/tlscert"
)

func main() { os.Exit(run()) }

func run() int {
	var (
		window    = flag.Duration("duration", 5*time.Second, "measured window per run (room scenarios: 3s unless set)")
		warmup    = flag.Duration("warmup", time.Second, "warm-up before each measured window")
		rounds    = flag.Int("rounds", 3, "rounds per scenario; servers alternate within each round")
		scenarios = flag.String("scenarios", "echo", "comma-separated scenario names or groups: echo, rooms, ws, tls, all")
		servers   = flag.String("servers", "", "comma-separated servers to compare (default: every server of each scenario's kind)")
		base      = flag.String("base", "shoal", "server whose ratios to the others are printed (in the ws scenarios its -ws variant: shoal-ws; in the tls ones its -tls variant: shoal-tls)")
		jsonOut   = flag.String("json", "", "also write the full report as JSON to this file")
		idleConns = flag.Int("idle-conns", 10000, "connections in the idle-memory scenario")
		sources   = flag.String("sources", "127.0.0.2-127.0.0.9", "source addresses the idle, room and handshake scenarios spread their connections over")
		settle    = flag.Duration("settle", 500*time.Millisecond, "idle scenario: wait after the last echo before reading RSS")
		serverCPU = flag.String("server-cpu", "0", "CPU the servers are pinned to")
		loadCPU   = flag.String("load-cpu", "1", "CPU the load generator is pinned to")
		pin       = flag.Bool("pin", true, "pin with taskset (needs taskset and 2 CPUs)")
		tlsCurves = flag.String("tls-curves", "X25519", "TLS scenarios: key exchanges the load generator offers (X25519MLKEM768, X25519, P256, ...; \"\" for crypto/tls's default, X25519MLKEM768 first)")
		maxOther  = flag.Float64("max-other", 0, "run again (up to 3 times, 10 s apart) a run during which other processes used more than this much CPU (percent of one CPU; 0: never)")
		prev      = flag.String("prev", "", "also run each Shoal server built from this other checkout of the repository (e.g. a git worktree of the previous commit), as <name>-prev")
	)
	flag.Parse()
	started := time.Now()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })

	scs, err := pickScenarios(*scenarios, *idleConns)
	if err != nil {
		return fail(err)
	}
	scs = withinFileLimit(scs)
	var kinds []string
	for _, sc := range scs {
		if !slices.Contains(kinds, sc.kind) {
			kinds = append(kinds, sc.kind)
		}
	}
	if len(kinds) == 0 {
		return fail(fmt.Errorf("no scenario to run"))
	}
	srvs, err := pickServers(*servers, kinds...)
	if err != nil {
		return fail(err)
	}
	if *prev != "" {
		abs, err := filepath.Abs(*prev)
		if err != nil {
			return fail(err)
		}
		srvs = withPrev(srvs, abs)
	}
	if *rounds < 1 {
		return fail(fmt.Errorf("-rounds %d, want >= 1", *rounds))
	}
	p := pinning{on: *pin, serverCPU: *serverCPU, loadCPU: *loadCPU}
	if p.on {
		if _, err := exec.LookPath("taskset"); err != nil || runtime.NumCPU() < 2 {
			fmt.Fprintln(os.Stderr, "compare: taskset or a second CPU is missing; running unpinned (figures are less meaningful)")
			p.on = false
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	benchDir, err := moduleDir(ctx)
	if err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp("", "shoal-compare-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintf(os.Stderr, "compare: building into %s\n", tmp)
	rc := &runConfig{pin: p, loadBin: filepath.Join(tmp, "load"), tmp: tmp,
		warmup: *warmup, window: *window, settle: *settle, sources: *sources, tlsCurves: *tlsCurves,
		roomWarmup: roomWarmup, roomWindow: roomWindow}
	if set["duration"] {
		rc.roomWindow = *window
	}
	if set["warmup"] {
		rc.roomWarmup = *warmup
	}
	if err := goBuild(ctx, benchDir, "./cmd/load", rc.loadBin); err != nil {
		return fail(err)
	}
	if _, err := tlscert.ParseCurves(*tlsCurves); err != nil {
		return fail(err)
	}
	if slices.Contains(kinds, kindTLS) {
		if rc.certFile, rc.keyFile, err = tlscert.WriteFiles(tmp); err != nil {
			return fail(err)
		}
	}
	skipped := buildServers(ctx, srvs, benchDir, tmp)
	var readyAll []*server
	for _, s := range srvs {
		if why, ok := skipped[s.label()]; ok {
			fmt.Printf("SKIPPED %s: its build failed:\n%s\n", s.label(), indent(why))
			continue
		}
		readyAll = append(readyAll, s)
	}
	if len(readyAll) == 0 {
		return fail(fmt.Errorf("no server built"))
	}

	rep := &report{
		Started: started.UTC().Format(time.RFC3339), GoVersion: runtime.Version(),
		Rounds: *rounds, Warmup: warmup.String(), Window: window.String(),
		Pinned: p.on, ServerCPU: p.serverCPU, LoadCPU: p.loadCPU, Base: *base, Skipped: skipped,
	}
	fmt.Printf("compare: servers on CPU %s, load generator on CPU %s (pinned: %v), GOMAXPROCS=1, %s\n",
		p.serverCPU, p.loadCPU, p.on, runtime.Version())
	for _, sc := range scs {
		_, win := rc.timing(sc)
		sr := &scenarioReport{Name: sc.name, Desc: sc.desc, Kind: sc.kind, Conns: sc.conns, Size: sc.size, Depth: sc.depth,
			Senders: sc.senders, Idle: sc.idle, Handshake: sc.handshake, Window: win.String()}
		var ready []*server
		for _, s := range readyAll {
			if s.kind == sc.kind {
				ready = append(ready, s)
				sr.Servers = append(sr.Servers, &serverReport{Server: s.name})
			}
		}
		if len(ready) == 0 {
			fmt.Printf("\nSKIPPED %s: no %s server built\n", sc.name, sc.kind)
			continue
		}
		for r := range *rounds {
			for k := range ready {
				i := (k + r) % len(ready) // rotate who goes first each round
				s, out := ready[i], sr.Servers[i]
				res, err := runOnce(ctx, rc, sc, s)
				for try := 1; err == nil && disturbed(res, *maxOther) && try <= maxRetries; try++ {
					fmt.Fprintf(os.Stderr, "  %-20s round %d %-6s disturbed (other %.0f%% CPU > %.0f%%): %s; again in %s (%d of %d)\n",
						sc.name, r+1, s.name, res.OtherCPUPercent, *maxOther, progress(sc, res), retryPause, try, maxRetries)
					if sleepCtx(ctx, retryPause) != nil {
						break
					}
					res, err = runOnce(ctx, rc, sc, s)
				}
				if ctx.Err() != nil {
					fmt.Fprintln(os.Stderr, "compare: interrupted; every process started has been ended")
					return 130
				}
				if err != nil {
					out.Failures = append(out.Failures, err.Error())
					fmt.Fprintf(os.Stderr, "  %-20s round %d %-6s FAILED: %s\n", sc.name, r+1, s.name, err)
					continue
				}
				out.Rounds = append(out.Rounds, res)
				fmt.Fprintf(os.Stderr, "  %-20s round %d %-6s %s\n", sc.name, r+1, s.name, progress(sc, res))
			}
		}
		for _, s := range sr.Servers {
			s.summarize(sc.idle)
		}
		sr.computeRatios(baseFor(*base, sc.kind))
		rep.Scenarios = append(rep.Scenarios, sr)
		writeTable(os.Stdout, sr, *rounds, win.String())
	}
	for _, k := range kinds {
		b := baseFor(*base, k)
		if _, ok := skipped[(&server{name: b, kind: k}).label()]; ok {
			fmt.Printf("\nNo %s/peer ratios for the %s scenarios: %s did not build (see above). Try -base gnet.\n", b, k, b)
		}
	}
	rep.WallSec = time.Since(started).Seconds()
	fmt.Printf("\ncompare: done in %s\n", time.Since(started).Round(time.Second))
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
		}
		if err != nil {
			return fail(err)
		}
	}
	return 0
}

// A run disturbed by other processes (-max-other) is run again up to
// maxRetries times, retryPause apart; the last one is kept.
const (
	maxRetries = 3
	retryPause = 10 * time.Second
)

// disturbed reports whether other processes took more than limit percent of
// a CPU during res's window (never when limit <= 0).
func disturbed(res load.Result, limit float64) bool {
	return limit > 0 && res.OtherCPUPercent > limit
}

// sleepCtx waits d or until ctx ends, and returns ctx's error then.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// baseFor returns the name of the base server in scenarios of kind: base
// itself, or in the WebSocket scenarios its "-ws" variant (shoal-ws for
// shoal, gnet-ws for gnet), in the TLS scenarios its "-tls" variant
// (shoal-tls, std-tls, nbio-tls).
func baseFor(base, kind string) string {
	switch {
	case kind == kindWS && !strings.HasSuffix(base, "-ws"):
		return base + "-ws"
	case kind == kindTLS && !strings.HasSuffix(base, "-tls"):
		return base + "-tls"
	}
	return base
}

// moduleDir returns the directory of the bench module's go.mod.
func moduleDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	b, err := os.ReadFile(gomod)
	if err != nil || !strings.Contains(string(b), "module github.com/shoalrt/shoal/bench") {
		return "", fmt.Errorf("run compare from the bench module: cd bench && go run ./cmd/compare (go.mod here: %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// progress is the one-line summary of a run printed while the runs go on.
func progress(sc scenario, r load.Result) string {
	if sc.idle {
		return fmt.Sprintf("%.0f bytes/conn (RSS %.1f -> %.1f MiB), bad echoes %d", r.BytesPerConn, mib(r.RSSBefore), mib(r.RSSAfter), r.BadEchoes)
	}
	if sc.handshake != "" {
		return fmt.Sprintf("%.0f handshakes/s (%.0f%% resumed), p99 %.0f µs, server %.0f ns/handshake at %.0f%% CPU, load %.0f%% CPU, other %.0f%% CPU, errors %d/%d",
			r.MsgsPerSec, 100*resumedShare(r), r.P99Micros, r.ServerNsMsg, r.ServerCPUPercent, r.LoadCPUPercent, r.OtherCPUPercent, r.BadEchoes, r.ConnErrors)
	}
	if sc.kind == kindRoom {
		return fmt.Sprintf("%.0f deliveries/s, server %.0f ns/delivery at %.0f%% CPU, load %.0f%% CPU, other %.0f%% CPU, bad %d gaps %d missing %d conn errors %d",
			r.MsgsPerSec, r.ServerNsMsg, r.ServerCPUPercent, r.LoadCPUPercent, r.OtherCPUPercent, r.BadEchoes, r.Gaps, r.Missing, r.ConnErrors)
	}
	return fmt.Sprintf("%.0f msgs/s, p99 %.0f µs, server %.0f ns/msg at %.0f%% CPU, load %.0f%% CPU, other %.0f%% CPU, errors %d/%d",
		r.MsgsPerSec, r.P99Micros, r.ServerNsMsg, r.ServerCPUPercent, r.LoadCPUPercent, r.OtherCPUPercent, r.BadEchoes, r.ConnErrors)
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "compare:", err)
	return 1
}
