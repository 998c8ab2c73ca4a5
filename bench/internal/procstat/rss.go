package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// ReadRSS returns the resident set size of process pid in bytes, from
// /proc/pid/smaps_rollup (the Rss line, which counts every mapping) or, on
// kernels without it, from the VmRSS line of /proc/pid/status.
// It is safe to call from any goroutine.
func ReadRSS(pid int) (uint64, error) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		if rss, err := ParseKB(b, "Rss:"); err == nil {
			return rss, nil
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return ParseKB(b, "VmRSS:")
}

// ParseKB finds the first line of b that starts with key (for example "Rss:"
// in smaps_rollup or "VmRSS:" in status) and returns its value, given in kB,
// in bytes.
func ParseKB(b []byte, key string) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(key)) {
			continue
		}
		f := bytes.Fields(line[len(key):])
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("%w: %q", ErrMalformed, line)
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q: %v", ErrMalformed, line, err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("%w: key %q", ErrNoRSS, key)
}
