package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/shoalrt/shoal/bench/internal/load"
)

// report is the part of cmd/compare's -json output the charts read. The
// field names and tags mirror compare's report types (package main there,
// so not importable); fields the charts do not use are left out and ignored
// when decoding.
type report struct {
	Started   string      `json:"started"`
	GoVersion string      `json:"go_version"`
	Commit    string      `json:"commit,omitempty"` // not written by compare today; shown when present
	Rounds    int         `json:"rounds"`
	Warmup    string      `json:"warmup"`
	Window    string      `json:"window"`
	Pinned    bool        `json:"pinned"`
	ServerCPU string      `json:"server_cpu"`
	LoadCPU   string      `json:"load_cpu"`
	Scenarios []*scenario `json:"scenarios"`
}

// scenario is one scenario's results for every server of its kind.
type scenario struct {
	Name   string `json:"name"`
	Desc   string `json:"desc"`
	Kind   string `json:"kind"` // "echo", "room", "ws" or "tls"
	Window string `json:"window"`
	Idle   bool   `json:"idle"` // memory per idle connection instead of throughput
	// Handshake is "full" or "resumed" in a TLS handshake scenario, whose
	// throughput is handshakes rather than echoed messages.
	Handshake string          `json:"handshake,omitempty"`
	Servers   []*serverResult `json:"servers"`
}

// serverResult is one server's rounds of one scenario and their median (nil
// when every round failed).
type serverResult struct {
	Server   string        `json:"server"`
	Rounds   []load.Result `json:"rounds"`
	Failures []string      `json:"failures,omitempty"`
	Median   *load.Result  `json:"median,omitempty"`
}

// kindRoom is compare's kind of the chat-room scenarios, whose throughput is
// deliveries rather than echoed messages.
const kindRoom = "room"

// errEmpty is returned for a report with no scenario that has a result.
// (The command prints every error after "plot: ".)
var errEmpty = errors.New("report has no scenario with a result")

// readReport reads and decodes one compare report from path; its errors name
// path.
func readReport(path string) (*report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *fs.PathError: names path
	}
	r, err := parseReport(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// parseReport decodes one compare report and checks that it has at least one
// server result to draw.
func parseReport(b []byte) (*report, error) {
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("not a compare -json report: %w", err)
	}
	for _, sc := range r.Scenarios {
		for _, s := range sc.Servers {
			if s != nil && (s.Median != nil || len(s.Rounds) > 0) {
				return &r, nil
			}
		}
	}
	return nil, errEmpty
}
