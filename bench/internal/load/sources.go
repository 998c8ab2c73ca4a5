package load

import (
	"fmt"
	"net/netip"
	"strings"
)

// maxSources bounds a source range so that a typo cannot ask for millions.
const maxSources = 256

// ParseSources parses a list of local source addresses: comma-separated
// addresses or inclusive IPv4 ranges, such as "127.0.0.2-127.0.0.9" or
// "127.0.0.2,127.0.0.3". An empty string gives no sources. Every address must
// be loopback.
func ParseSources(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := netip.ParseAddr(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("%w: source %q: %v", ErrBadConfig, part, err)
		}
		last := first
		if isRange {
			if last, err = netip.ParseAddr(strings.TrimSpace(hi)); err != nil {
				return nil, fmt.Errorf("%w: source %q: %v", ErrBadConfig, part, err)
			}
		}
		if first.Compare(last) > 0 {
			return nil, fmt.Errorf("%w: source range %q runs backwards", ErrBadConfig, part)
		}
		for a := first; ; a = a.Next() {
			if !a.IsLoopback() {
				return nil, fmt.Errorf("%w: source %s", ErrNotLoopback, a)
			}
			if len(out) == maxSources {
				return nil, fmt.Errorf("%w: more than %d sources", ErrBadConfig, maxSources)
			}
			out = append(out, a)
			if a == last {
				break
			}
		}
	}
	return out, nil
}
