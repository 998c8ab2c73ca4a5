package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// server is one echo server under comparison.
type server struct {
	name string   // short name for flags and tables
	pkg  string   // package to build, relative to module
	root bool     // build from the main module (../) instead of bench/
	args []string // flags besides -addr: one core, one loop
	bin  string   // built binary; "" until built
}

// allServers lists the servers in table order; Shoal first.
func allServers() []*server {
	return []*server{
		{name: "shoal", pkg: "./examples/echo", root: true, args: []string{"-shards", "1"}},
		{name: "gnet", pkg: "./servers/gnetecho", args: []string{"-multicore=false"}},
		{name: "std", pkg: "./servers/stdecho"},
	}
}

// pickServers returns the servers named in the comma-separated list, in
// table order.
func pickServers(list string) ([]*server, error) {
	want := map[string]bool{}
	for n := range strings.SplitSeq(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []*server
	for _, s := range allServers() {
		if want[s.name] {
			out = append(out, s)
			delete(want, s.name)
		}
	}
	if len(want) > 0 || len(out) == 0 {
		return nil, fmt.Errorf("bad -servers %q; known: shoal, gnet, std", list)
	}
	return out, nil
}

// goBuild builds pkg in module directory dir into out. On failure the error
// carries the compiler's last lines.
func goBuild(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s (in %s): %v\n%s", pkg, dir, err, tail(string(b), 12))
	}
	return nil
}

// buildServers builds every server into tmp and returns why each that failed
// did; those are left with bin == "" and skipped.
func buildServers(ctx context.Context, servers []*server, benchDir, tmp string) map[string]string {
	skipped := map[string]string{}
	for _, s := range servers {
		dir := benchDir
		if s.root {
			dir = filepath.Dir(benchDir)
		}
		out := filepath.Join(tmp, s.name+"-echo")
		if err := goBuild(ctx, dir, s.pkg, out); err != nil {
			skipped[s.name] = err.Error()
			continue
		}
		s.bin = out
	}
	return skipped
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
