package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/shoalrt/shoal/bench/internal/load"
)

// report is the whole comparison, as printed and as written by -json.
type report struct {
	Started   string            `json:"started"`
	WallSec   float64           `json:"wall_sec"`
	GoVersion string            `json:"go_version"`
	Rounds    int               `json:"rounds"`
	Warmup    string            `json:"warmup"`
	Window    string            `json:"window"`
	Pinned    bool              `json:"pinned"`
	ServerCPU string            `json:"server_cpu"`
	LoadCPU   string            `json:"load_cpu"`
	Base      string            `json:"base"`
	Skipped   map[string]string `json:"skipped,omitempty"`
	Scenarios []*scenarioReport `json:"scenarios"`
}

// scenarioReport holds every server's rounds for one scenario.
type scenarioReport struct {
	Name    string `json:"name"`
	Desc    string `json:"desc"`
	Kind    string `json:"kind"`
	Window  string `json:"window"`
	Conns   int    `json:"conns"`
	Size    int    `json:"size"`
	Depth   int    `json:"depth"`
	Senders int    `json:"senders,omitempty"`
	Idle    bool   `json:"idle"`
	// Handshake is "full" or "resumed" in a handshake scenario: there
	// msgs/s are handshakes/s, CPU per message is CPU per handshake and
	// Conns counts the clients connecting at once.
	Handshake string          `json:"handshake,omitempty"`
	Servers   []*serverReport `json:"servers"`
	Ratios    []ratio         `json:"ratios,omitempty"`
}

// serverReport is one server's rounds of one scenario and their median.
type serverReport struct {
	Server   string        `json:"server"`
	Rounds   []load.Result `json:"rounds"`
	Failures []string      `json:"failures,omitempty"`
	Median   *load.Result  `json:"median,omitempty"`
	// Spread is (max-min)/median of msgs/s (or bytes/conn when idle) over
	// the rounds: how noisy the figure is.
	Spread float64 `json:"spread"`
}

// ratio compares the base server's medians with a peer's: base/peer.
type ratio struct {
	Base       string  `json:"base"`
	Peer       string  `json:"peer"`
	MsgsPerSec float64 `json:"msgs_per_sec,omitempty"`   // > 1: base is faster
	CPUPerMsg  float64 `json:"cpu_per_msg,omitempty"`    // < 1: base spends less CPU per message
	MemPerConn float64 `json:"bytes_per_conn,omitempty"` // < 1: base uses less memory per connection
}

// median returns the median of xs (mean of the middle two for an even
// count), or 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// summarize fills r.Median and r.Spread from r.Rounds: every figure is the
// median of that figure over the rounds; error counts are summed.
func (r *serverReport) summarize(idle bool) {
	if len(r.Rounds) == 0 {
		r.Median = nil
		return
	}
	med := func(f func(load.Result) float64) float64 {
		xs := make([]float64, len(r.Rounds))
		for i, x := range r.Rounds {
			xs[i] = f(x)
		}
		return median(xs)
	}
	m := r.Rounds[0]
	m.Messages = uint64(med(func(x load.Result) float64 { return float64(x.Messages) }))
	m.WindowSec = med(func(x load.Result) float64 { return x.WindowSec })
	m.MsgsPerSec = med(func(x load.Result) float64 { return x.MsgsPerSec })
	m.P50Micros = med(func(x load.Result) float64 { return x.P50Micros })
	m.P99Micros = med(func(x load.Result) float64 { return x.P99Micros })
	m.ServerUserNsMsg = med(func(x load.Result) float64 { return x.ServerUserNsMsg })
	m.ServerSysNsMsg = med(func(x load.Result) float64 { return x.ServerSysNsMsg })
	m.ServerNsMsg = med(func(x load.Result) float64 { return x.ServerNsMsg })
	m.ServerCPUPercent = med(func(x load.Result) float64 { return x.ServerCPUPercent })
	m.LoadCPUPercent = med(func(x load.Result) float64 { return x.LoadCPUPercent })
	m.OtherCPUPercent = med(func(x load.Result) float64 { return x.OtherCPUPercent })
	m.ServerUserTicks = uint64(med(func(x load.Result) float64 { return float64(x.ServerUserTicks) }))
	m.ServerSysTicks = uint64(med(func(x load.Result) float64 { return float64(x.ServerSysTicks) }))
	m.RSSBefore = uint64(med(func(x load.Result) float64 { return float64(x.RSSBefore) }))
	m.RSSAfter = uint64(med(func(x load.Result) float64 { return float64(x.RSSAfter) }))
	m.BytesPerConn = med(func(x load.Result) float64 { return x.BytesPerConn })
	m.LinesSent = uint64(med(func(x load.Result) float64 { return float64(x.LinesSent) }))
	m.Resumed = uint64(med(func(x load.Result) float64 { return float64(x.Resumed) }))
	m.BadEchoes, m.ConnErrors, m.FirstError, m.Gaps, m.Missing = 0, 0, "", 0, 0
	for _, x := range r.Rounds {
		m.BadEchoes += x.BadEchoes
		m.ConnErrors += x.ConnErrors
		m.Gaps += x.Gaps
		m.Missing += x.Missing
		if m.FirstError == "" {
			m.FirstError = x.FirstError
		}
	}
	r.Median = &m

	key := func(x load.Result) float64 { return x.MsgsPerSec }
	if idle {
		key = func(x load.Result) float64 { return x.BytesPerConn }
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range r.Rounds {
		lo, hi = min(lo, key(x)), max(hi, key(x))
	}
	if c := key(m); c != 0 {
		r.Spread = (hi - lo) / math.Abs(c)
	}
}

// computeRatios fills sc.Ratios with base/peer for every peer that has a
// median, if base has one.
func (sc *scenarioReport) computeRatios(base string) {
	sc.Ratios = nil
	var b *load.Result
	for _, s := range sc.Servers {
		if s.Server == base {
			b = s.Median
		}
	}
	if b == nil {
		return
	}
	div := func(x, y float64) float64 {
		if y == 0 {
			return 0
		}
		return x / y
	}
	for _, s := range sc.Servers {
		if s.Server == base || s.Median == nil {
			continue
		}
		p := s.Median
		r := ratio{Base: base, Peer: s.Server}
		if sc.Idle {
			r.MemPerConn = div(b.BytesPerConn, p.BytesPerConn)
		} else {
			r.MsgsPerSec = div(b.MsgsPerSec, p.MsgsPerSec)
			r.CPUPerMsg = div(b.ServerNsMsg, p.ServerNsMsg)
		}
		sc.Ratios = append(sc.Ratios, r)
	}
}

// writeTable prints one scenario as a plain-text table followed by its
// ratios.
func writeTable(w io.Writer, sc *scenarioReport, rounds int, window string) {
	if sc.Idle {
		fmt.Fprintf(w, "\n== %s: %s (median of %d rounds) ==\n", sc.Name, sc.Desc, rounds)
	} else {
		fmt.Fprintf(w, "\n== %s: %s (median of %d rounds, %s window) ==\n", sc.Name, sc.Desc, rounds, window)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	room := sc.Kind == kindRoom
	hs := sc.Handshake != ""
	switch {
	case hs:
		fmt.Fprintln(tw, "server\thandshakes/s\tspread\tresumed\tp50 µs\tp99 µs\tsrv ns/handshake\tusr ns\tsys ns\tsrv CPU%\tload CPU%\tother CPU%\tbad echoes\tconn errs\trounds\t")
	case room:
		fmt.Fprintln(tw, "server\tdeliveries/s\tspread\tp50 µs\tp99 µs\tsrv ns/delivery\tusr ns\tsys ns\tsrv CPU%\tload CPU%\tother CPU%\tbad lines\tgaps\tmissing\tconn errs\trounds\t")
	case sc.Idle:
		fmt.Fprintln(tw, "server\tRSS before MiB\tRSS after MiB\tbytes/conn\tspread\tbad echoes\trounds\t")
	default:
		fmt.Fprintln(tw, "server\tmsgs/s\tspread\tp50 µs\tp99 µs\tsrv ns/msg\tusr ns\tsys ns\tsrv CPU%\tload CPU%\tother CPU%\tbad echoes\tconn errs\trounds\t")
	}
	for _, s := range sc.Servers {
		okRounds := fmt.Sprintf("%d/%d", len(s.Rounds), len(s.Rounds)+len(s.Failures))
		m := s.Median
		if m == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", s.Server, "no result", okRounds)
			continue
		}
		if room {
			fmt.Fprintf(tw, "%s\t%.0f\t%.0f%%\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\t%d\t%d\t%d\t%d\t%s\t\n", s.Server,
				m.MsgsPerSec, 100*s.Spread, m.P50Micros, m.P99Micros, m.ServerNsMsg, m.ServerUserNsMsg, m.ServerSysNsMsg,
				m.ServerCPUPercent, m.LoadCPUPercent, m.OtherCPUPercent, m.BadEchoes, m.Gaps, m.Missing, m.ConnErrors, okRounds)
			continue
		}
		if hs {
			fmt.Fprintf(tw, "%s\t%.0f\t%.0f%%\t%.0f%%\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%d\t%s\t\n", s.Server,
				m.MsgsPerSec, 100*s.Spread, 100*resumedShare(*m), m.P50Micros, m.P99Micros, m.ServerNsMsg, m.ServerUserNsMsg, m.ServerSysNsMsg,
				m.ServerCPUPercent, m.LoadCPUPercent, m.OtherCPUPercent, m.BadEchoes, m.ConnErrors, okRounds)
			continue
		}
		if sc.Idle {
			fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.0f\t%.0f%%\t%d\t%s\t\n", s.Server,
				mib(m.RSSBefore), mib(m.RSSAfter), m.BytesPerConn, 100*s.Spread, m.BadEchoes, okRounds)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f%%\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%d\t%s\t\n", s.Server,
			m.MsgsPerSec, 100*s.Spread, m.P50Micros, m.P99Micros, m.ServerNsMsg, m.ServerUserNsMsg, m.ServerSysNsMsg,
			m.ServerCPUPercent, m.LoadCPUPercent, m.OtherCPUPercent, m.BadEchoes, m.ConnErrors, okRounds)
	}
	_ = tw.Flush()
	for _, s := range sc.Servers {
		for _, f := range s.Failures {
			fmt.Fprintf(w, "  %s failed a round: %s\n", s.Server, firstLine(f))
		}
		if s.Median != nil && s.Median.FirstError != "" {
			fmt.Fprintf(w, "  %s connection error: %s\n", s.Server, s.Median.FirstError)
		}
	}
	for _, r := range sc.Ratios {
		switch {
		case hs:
			fmt.Fprintf(w, "  %s/%s: handshakes/s %.2fx (> 1: %s faster), server CPU per handshake %.2fx (< 1: %s cheaper)\n",
				r.Base, r.Peer, r.MsgsPerSec, r.Base, r.CPUPerMsg, r.Base)
		case room:
			fmt.Fprintf(w, "  %s/%s: deliveries/s %.2fx (> 1: %s faster), server CPU per delivery %.2fx (< 1: %s cheaper)\n",
				r.Base, r.Peer, r.MsgsPerSec, r.Base, r.CPUPerMsg, r.Base)
		case sc.Idle:
			fmt.Fprintf(w, "  %s/%s: memory per connection %.2fx (< 1: %s uses less)\n", r.Base, r.Peer, r.MemPerConn, r.Base)
		default:
			fmt.Fprintf(w, "  %s/%s: msgs/s %.2fx (> 1: %s faster), CPU per message %.2fx (< 1: %s cheaper)\n",
				r.Base, r.Peer, r.MsgsPerSec, r.Base, r.CPUPerMsg, r.Base)
		}
	}
}

// resumedShare is the fraction of a handshake run's handshakes that resumed
// a session.
func resumedShare(r load.Result) float64 {
	if r.Messages == 0 {
		return 0
	}
	return float64(r.Resumed) / float64(r.Messages)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
