package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shoalrt/shoal/bench/internal/load"
)

// chart is one grouped bar chart: scenarios along the x axis, one bar per
// server in each, ready to render.
type chart struct {
	File     string   // file name without directory, e.g. "echo-throughput.svg"
	Title    string   // first line: what is measured
	Subtitle []string // how it was measured
	YLabel   string   // y axis title with unit
	Unit     string   // appended to bar labels: "ns", "KiB", "" for plain counts
	Scale    float64  // raw value × Scale = plotted value
	Servers  []string // legend order
	Groups   []group
}

// group is one scenario's bars.
type group struct {
	Scenario string
	Bars     []bar
}

// bar is one server's figure in one scenario; Missing when the server has no
// result for it (its rounds failed or did not measure this metric).
type bar struct {
	Server      string
	Value       float64 // median, scaled
	Lo, Hi      float64 // min and max over the rounds, scaled
	Rounds      int     // rounds that produced a value
	Missing     bool
	FailedRound int // rounds that failed
}

// metric is one figure the charts can show.
type metric struct {
	id     string // file name part
	title  string // what, for the title; see family.expand for {placeholders}
	ylabel string // y axis title, {placeholders} as in title
	unit   string
	scale  float64
	better string // "higher" or "lower"
	idle   bool   // drawn for the idle scenarios instead of the busy ones
	// big, if set, replaces unit and ylabel when the largest value reaches
	// 1000 units: the values are divided by 1000 (µs to ms).
	big *bigUnit
	// value returns the figure of one run, false when the run did not
	// measure it.
	value func(load.Result) (float64, bool)
}

// metrics are the charts drawn, in order.
var metrics = []metric{
	{id: "throughput", title: "Throughput: {nouns} per second", ylabel: "throughput ({nouns}/s)", scale: 1, better: "higher",
		value: func(r load.Result) (float64, bool) { return r.MsgsPerSec, r.MsgsPerSec > 0 }},
	{id: "cpu", title: "Server CPU time per {noun}", ylabel: "server CPU per {noun} (ns)", unit: "ns", scale: 1, better: "lower",
		value: func(r load.Result) (float64, bool) { return r.ServerNsMsg, r.ServerCPUMeasured && r.ServerNsMsg > 0 }},
	{id: "p99", title: "p99 latency, {latency}", ylabel: "p99 latency (µs)", unit: "µs", scale: 1, better: "lower",
		big:   &bigUnit{unit: "ms", ylabel: "p99 latency (ms)"},
		value: func(r load.Result) (float64, bool) { return r.P99Micros, r.P99Micros > 0 }},
	{id: "memory", title: "Memory per idle connection", ylabel: "server RSS per idle connection (KiB)", unit: "KiB", scale: 1.0 / 1024, better: "lower", idle: true,
		value: func(r load.Result) (float64, bool) { return r.BytesPerConn, r.BytesPerConn > 0 }},
}

// bigUnit is a metric's unit for large values: a thousand of its usual one.
type bigUnit struct {
	unit, ylabel string
}

// family is a set of scenarios whose figures share a unit: echoed messages
// (echo, WebSocket and TLS), room deliveries or TLS handshakes.
type family struct {
	name    string // "" for messages, "rooms" for deliveries, "handshakes" for handshakes
	noun    string // {noun}: "message", "delivery" or "handshake"
	nouns   string // {nouns}: "messages", "deliveries" or "handshakes"
	latency string // {latency}: what the latency percentiles time
	has     func(*scenario) bool
}

var families = []family{
	{name: "", noun: "message", nouns: "messages", latency: "send to echo",
		has: func(sc *scenario) bool { return sc.Kind != kindRoom && sc.Handshake == "" }},
	{name: "rooms", noun: "delivery", nouns: "deliveries", latency: "a sender's line until it reads it back",
		has: func(sc *scenario) bool { return sc.Kind == kindRoom }},
	{name: "handshakes", noun: "handshake", nouns: "handshakes", latency: "dial to the first echo",
		has: func(sc *scenario) bool { return sc.Handshake != "" }},
}

// expand fills the {placeholders} of a metric's title or y label.
func (f family) expand(s string) string {
	return strings.NewReplacer("{noun}", f.noun, "{nouns}", f.nouns, "{latency}", f.latency).Replace(s)
}

// buildCharts returns every chart of r that has at least one value, named
// prefix-metric.svg (prefix-rooms-metric.svg for the room scenarios,
// prefix-handshakes-metric.svg for the TLS handshake ones, when r also has
// scenarios of another family).
func buildCharts(r *report, prefix string) []*chart {
	present := 0
	for _, f := range families {
		if slices.ContainsFunc(r.Scenarios, f.has) {
			present++
		}
	}
	var out []*chart
	for _, f := range families {
		for _, m := range metrics {
			c := buildChart(r, f, m)
			if c == nil {
				continue
			}
			name := prefix + "-" + m.id
			if f.name != "" && present > 1 {
				name = prefix + "-" + f.name + "-" + m.id
			}
			c.File = name + ".svg"
			out = append(out, c)
		}
	}
	return out
}

// buildChart returns the chart of metric m over the scenarios of family f,
// or nil when none of them has a value for it.
func buildChart(r *report, f family, m metric) *chart {
	c := &chart{Unit: m.unit, Scale: m.scale, YLabel: f.expand(m.ylabel)}
	var names []string
	for _, sc := range r.Scenarios {
		if !f.has(sc) || sc.Idle != m.idle {
			continue
		}
		g := group{Scenario: sc.Name}
		drawn := false
		for _, s := range sc.Servers {
			if s == nil {
				continue
			}
			b := serverBar(s, m)
			drawn = drawn || !b.Missing
			g.Bars = append(g.Bars, b)
		}
		if !drawn {
			continue
		}
		for _, b := range g.Bars {
			if !slices.Contains(c.Servers, b.Server) {
				c.Servers = append(c.Servers, b.Server)
			}
		}
		c.Groups = append(c.Groups, g)
		names = append(names, sc.Name)
	}
	if len(c.Groups) == 0 {
		return nil
	}
	if m.big != nil && c.maxValue() >= 1000 {
		c.Unit, c.YLabel, c.Scale = m.big.unit, f.expand(m.big.ylabel), c.Scale/1000
		for _, g := range c.Groups {
			for i := range g.Bars {
				b := &g.Bars[i]
				b.Value, b.Lo, b.Hi = b.Value/1000, b.Lo/1000, b.Hi/1000
			}
		}
	}
	rounds := "median"
	if r.Rounds > 0 {
		rounds = fmt.Sprintf("median of %d round%s", r.Rounds, plural(r.Rounds))
	}
	c.Title = fmt.Sprintf("%s (%s)", f.expand(m.title), rounds)
	c.Subtitle = append(wrap(subtitle(r, m.idle), subtitleChars), wrap("Scenarios: "+strings.Join(names, ", ")+".", subtitleChars)...)
	c.Subtitle = append(c.Subtitle, fmt.Sprintf("Bars: each server's median; whiskers: min–max over its rounds. %s is better.", capitalize(m.better)))
	return c
}

// maxValue returns the largest median or round value of c.
func (c *chart) maxValue() float64 {
	var m float64
	for _, g := range c.Groups {
		for _, b := range g.Bars {
			m = max(m, b.Value, b.Hi)
		}
	}
	return m
}

// serverBar returns s's bar for metric m: the median's value, and the range
// over the rounds that measured it.
func serverBar(s *serverResult, m metric) bar {
	b := bar{Server: s.Server, FailedRound: len(s.Failures)}
	var vals []float64
	for _, x := range s.Rounds {
		if v, ok := m.value(x); ok {
			vals = append(vals, v)
		}
	}
	var med float64
	var ok bool
	if s.Median != nil {
		med, ok = m.value(*s.Median)
	}
	if !ok && len(vals) > 0 {
		med, ok = medianOf(vals), true
	}
	if !ok {
		b.Missing = true
		return b
	}
	b.Value, b.Lo, b.Hi, b.Rounds = med*m.scale, med*m.scale, med*m.scale, len(vals)
	for _, v := range vals {
		b.Lo, b.Hi = min(b.Lo, v*m.scale), max(b.Hi, v*m.scale)
	}
	return b
}

// subtitle says when and how the report was measured.
func subtitle(r *report, idle bool) string {
	var parts []string
	date := r.Started
	if len(date) >= 10 {
		date = date[:10]
	}
	if date != "" {
		parts = append(parts, "cmd/compare "+date)
	}
	if r.Commit != "" {
		parts = append(parts, "commit "+r.Commit)
	}
	if r.GoVersion != "" {
		parts = append(parts, r.GoVersion)
	}
	if !idle && r.Window != "" {
		w := r.Window + " window"
		if r.Warmup != "" {
			w += " after " + r.Warmup + " warm-up"
		}
		parts = append(parts, w)
	}
	if r.Pinned {
		parts = append(parts, fmt.Sprintf("server on CPU %s (GOMAXPROCS=1), load on CPU %s", r.ServerCPU, r.LoadCPU))
	} else {
		parts = append(parts, "unpinned, GOMAXPROCS=1 server")
	}
	return strings.Join(parts, " · ")
}

// medianOf returns the median of xs (mean of the middle two for an even
// count); xs must not be empty.
func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// subtitleChars is about how many characters of a subtitle fit on one line.
const subtitleChars = 120

// wrap breaks s at spaces into lines of at most n characters (a longer word
// stays whole).
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > n {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
