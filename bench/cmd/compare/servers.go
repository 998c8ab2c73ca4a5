package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// server is one server under comparison in the scenarios of its kind.
type server struct {
	name string   // short name for flags and tables
	kind string   // kindEcho, kindRoom, kindWS or kindTLS: the scenarios it serves
	pkg  string   // package to build, relative to module
	root bool     // build from the main module (../) instead of bench/
	args []string // flags besides -addr: one core, one loop
	// certFlags, for a TLS server, are the names of its certificate and key
	// file flags; each run passes the pair compare generated. The built
	// binary's -h must list the first, or it is skipped (a checkout from
	// before it had TLS).
	certFlags [2]string
	tree      string // another checkout of the repository to build it from (-prev); "" for this one
	bin       string // built binary; "" until built
}

// withPrev adds, after each Shoal server, the same server built from the
// checkout at tree (another commit's worktree), named with a "-prev"
// suffix, so one run compares two versions of Shoal under the same loads.
func withPrev(servers []*server, tree string) []*server {
	var out []*server
	for _, s := range servers {
		out = append(out, s)
		if strings.HasPrefix(s.name, "shoal") {
			p := *s
			p.name, p.tree = s.name+"-prev", tree
			out = append(out, &p)
		}
	}
	return out
}

// label names s in messages and in the report's skipped list.
func (s *server) label() string { return s.name + " (" + s.kind + ")" }

// allServers lists the servers in table order, echo, room, ws, then tls;
// Shoal first in each. Names repeat across echo and room: -servers shoal
// picks both of those Shoals; the WebSocket ones are shoal-ws and gnet-ws,
// the TLS ones shoal-tls, std-tls and nbio-tls.
func allServers() []*server {
	return []*server{
		{name: "shoal", kind: kindEcho, pkg: "./examples/echo", root: true, args: []string{"-shards", "1"}},
		{name: "gnet", kind: kindEcho, pkg: "./servers/gnetecho", args: []string{"-multicore=false"}},
		{name: "std", kind: kindEcho, pkg: "./servers/stdecho"},
		{name: "shoal", kind: kindRoom, pkg: "./servers/shoalroom", args: []string{"-shards", "1"}},
		{name: "shoal-bcast", kind: kindRoom, pkg: "./servers/shoalroom", args: []string{"-shards", "1", "-broadcast"}},
		{name: "gnet", kind: kindRoom, pkg: "./servers/gnetroom", args: []string{"-combine=true"}},
		{name: "gnet-naive", kind: kindRoom, pkg: "./servers/gnetroom", args: []string{"-combine=false"}},
		{name: "hub", kind: kindRoom, pkg: "./servers/hubroom"},
		{name: "shoal-ws", kind: kindWS, pkg: "./servers/shoalws", args: []string{"-shards", "1"}},
		{name: "gnet-ws", kind: kindWS, pkg: "./servers/gnetws", args: []string{"-multicore=false"}},
		{name: "shoal-tls", kind: kindTLS, pkg: "./examples/echo", root: true, args: []string{"-shards", "1"}, certFlags: [2]string{"-tls-cert", "-tls-key"}},
		{name: "std-tls", kind: kindTLS, pkg: "./servers/stdtls", certFlags: [2]string{"-cert", "-key"}},
		{name: "nbio-tls", kind: kindTLS, pkg: "./servers/nbiotls", args: []string{"-pollers", "1"}, certFlags: [2]string{"-cert", "-key"}},
	}
}

// pickServers returns the servers of the given kinds named in the
// comma-separated list ("" for every one), in table order.
func pickServers(list string, kinds ...string) ([]*server, error) {
	want := map[string]bool{}
	for n := range strings.SplitSeq(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []*server
	known := map[string]bool{}
	var names []string
	for _, s := range allServers() {
		if !slices.Contains(kinds, s.kind) {
			continue
		}
		if !known[s.name] {
			known[s.name] = true
			names = append(names, s.name)
		}
		if len(want) == 0 || want[s.name] {
			out = append(out, s)
		}
	}
	for n := range want {
		if !known[n] {
			return nil, fmt.Errorf("bad -servers %q; known: %s", list, strings.Join(names, ", "))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bad -servers %q; known: %s", list, strings.Join(names, ", "))
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

// buildServers builds every server into tmp (each package once) and returns,
// by label, why each that failed did; those are left with bin == "" and
// skipped.
func buildServers(ctx context.Context, servers []*server, benchDir, tmp string) map[string]string {
	skipped := map[string]string{}
	type build struct{ bin, err string }
	built := map[string]build{}
	for _, s := range servers {
		dir := benchDir
		if s.tree != "" {
			dir = filepath.Join(s.tree, "bench")
		}
		if s.root {
			dir = filepath.Dir(dir)
		}
		key := dir + " " + s.pkg
		b, ok := built[key]
		if !ok {
			b.bin = filepath.Join(tmp, fmt.Sprintf("%s-%s-%d", s.name, s.kind, len(built)))
			if err := goBuild(ctx, dir, s.pkg, b.bin); err != nil {
				b = build{err: err.Error()}
			}
			built[key] = b
		}
		if b.err != "" {
			skipped[s.label()] = b.err
			continue
		}
		if lacksFlag(ctx, b.bin, s.certFlags[0]) {
			skipped[s.label()] = fmt.Sprintf("%s (built in %s) has no %s flag: that checkout has no TLS listener yet", s.pkg, dir, s.certFlags[0])
			continue
		}
		s.bin = b.bin
	}
	return skipped
}

// lacksFlag reports whether flag is not "" and bin's -h output does not
// list it.
func lacksFlag(ctx context.Context, bin, flag string) bool {
	if flag == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "-h").CombinedOutput() // flag's -h exits 0 or 2
	usage := string(out)
	return !strings.Contains(usage, "\n  "+flag+" ") && !strings.Contains(usage, "\n  "+flag+"\n")
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
