package cluster_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// goList runs `go list` with args in this package's directory and returns
// its output's lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goBin, append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %v: %v\n%s", args, err, ee.Stderr)
		}
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// hasPrefixed reports whether a package path in pkgs starts with prefix.
func hasPrefixed(pkgs []string, prefix string) bool {
	return slices.ContainsFunc(pkgs, func(p string) bool { return strings.HasPrefix(p, prefix) })
}

const natsServer = "github.com/nats-io/nats-server/"

// A node that connects by URL (testdata/external) does not link the NATS
// server; one that runs the embedded server (testdata/embedded, the
// control: the check finds the server where it is) does.
func TestExternalNodeLinksNoNATSServer(t *testing.T) {
	if deps := goList(t, "-deps", "./testdata/external"); hasPrefixed(deps, natsServer) {
		t.Errorf("a node with an external URL depends on %s:\n%s", natsServer, strings.Join(deps, "\n"))
	}
	if deps := goList(t, "-deps", "./testdata/embedded"); !hasPrefixed(deps, natsServer) {
		t.Errorf("the control, a node with the embedded server, does not depend on %s: the check is broken", natsServer)
	}
}

// The cluster needs nothing of the event loop (package shard, which actor
// imports: the control) and nothing of Prometheus (cluster/metrics, the
// other control, has the node's collector).
func TestClusterImports(t *testing.T) {
	const shard = "github.com/shoalrt/shoal/shard"
	if imports := goList(t, "-f", "{{join .Imports \"\\n\"}}", "."); slices.Contains(imports, shard) {
		t.Errorf("cluster imports %s", shard)
	}
	if imports := goList(t, "-f", "{{join .Imports \"\\n\"}}", "github.com/shoalrt/shoal/actor"); !slices.Contains(imports, shard) {
		t.Errorf("the control, actor, does not import %s: the check is broken", shard)
	}
	const prometheus = "github.com/prometheus/"
	if deps := goList(t, "-deps", "."); hasPrefixed(deps, prometheus) {
		t.Errorf("cluster depends on %s", prometheus)
	}
	if deps := goList(t, "-deps", "./metrics"); !hasPrefixed(deps, prometheus) {
		t.Errorf("the control, cluster/metrics, does not depend on %s: the check is broken", prometheus)
	}
}
