package shard

import (
	"bytes"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// goroutineProfile returns the goroutine profile in its text form (debug=1):
// one entry per distinct stack and label set, separated by blank lines,
// each with a line "# labels: {...}" if its goroutines carry labels.
func goroutineProfile(t testing.TB) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		t.Fatal(err)
	}
	return strings.Split(buf.String(), "\n\n")
}

// labelled reports whether some profile entry carries label (as the
// profile prints it, `"key":"value"`) and has fn on its stack.
func labelled(entries []string, label, fn string) bool {
	for _, e := range entries {
		for _, line := range strings.Split(e, "\n") {
			if strings.HasPrefix(line, "# labels: {") && strings.Contains(line, label) && strings.Contains(e, fn) {
				return true
			}
		}
	}
	return false
}

// Every shard's loop carries the pprof label shoal.shard with its index, and
// the acceptor shoal.acceptor with the addresses it accepts on, so a
// profile of a running server tells the shards apart.
func TestGoroutinesCarryPprofLabels(t *testing.T) {
	set := newFakeSet(t, 2, nil, nil)
	l1 := listen(t, set, "tcp", lines(), Limits{})
	l2 := listen(t, set, "tcp", lines(), Limits{})
	start(t, set)
	want := map[string]string{
		`"shoal.shard":"0"`: "shard.(*Shard).run",
		`"shoal.shard":"1"`: "shard.(*Shard).run",
		`"shoal.acceptor":"` + l1.Addr().String() + "," + l2.Addr().String() + `"`: "shard.(*acceptor).run",
	}
	var entries []string
	for deadline := time.Now().Add(waitFor); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		entries = goroutineProfile(t)
		missing := 0
		for label, fn := range want {
			if !labelled(entries, label, fn) {
				missing++
			}
		}
		if missing == 0 {
			return
		}
	}
	for label, fn := range want {
		if !labelled(entries, label, fn) {
			t.Errorf("no goroutine in %s labelled %s", fn, label)
		}
	}
	t.Logf("profile:\n%s", strings.Join(entries, "\n\n"))
}
