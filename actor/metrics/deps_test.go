package metrics_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The system's metrics do not depend on the cluster: a system without one
// links no NATS client for its metrics. The control, cluster/metrics, does
// depend on it, so the check finds the package where it is.
func TestNoClusterDependency(t *testing.T) {
	const cluster = "github.com/shoalrt/shoal/cluster"
	if deps := goListDeps(t, "."); slices.Contains(deps, cluster) {
		t.Errorf("actor/metrics depends on %s:\n%s", cluster, strings.Join(deps, "\n"))
	}
	if deps := goListDeps(t, cluster+"/metrics"); !slices.Contains(deps, cluster) {
		t.Errorf("the control, cluster/metrics, does not depend on %s: the check is broken", cluster)
	}
}

// goListDeps returns `go list -deps pkg`, run in this package's directory.
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goBin, "list", "-deps", pkg).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
