package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shoalrt/shoal/bench/internal/load"
)

// svgBar is one bar read back from a chart.
type svgBar struct {
	server, scenario string
	value            float64 // data-value
	y, height        float64
}

// parsedSVG is what the tests read back from a chart.
type parsedSVG struct {
	bars     []svgBar
	labels   []string // class="value" texts
	missing  []string // servers drawn as n/a
	legend   []string // servers in the legend
	colors   map[string]string
	ticks    []string
	whiskers int
}

// parseSVG decodes doc as XML, failing the test if it is not well formed,
// and collects its bars, labels and legend.
func parseSVG(t *testing.T, doc []byte) parsedSVG {
	t.Helper()
	p := parsedSVG{colors: map[string]string{}}
	d := xml.NewDecoder(bytes.NewReader(doc))
	var class string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			a := map[string]string{}
			for _, at := range e.Attr {
				a[at.Name.Local] = at.Value
			}
			class = a["class"]
			switch {
			case e.Name.Local == "rect" && class == "bar":
				b := svgBar{server: a["data-server"], scenario: a["data-scenario"]}
				b.value = atof(t, a["data-value"])
				b.y, b.height = atof(t, a["y"]), atof(t, a["height"])
				p.bars = append(p.bars, b)
				p.colors[b.server] = a["fill"]
			case e.Name.Local == "rect" && class == "legend":
				p.legend = append(p.legend, a["data-server"])
				if c, ok := p.colors[a["data-server"]]; ok && c != a["fill"] {
					t.Errorf("legend colour of %s %s, bar colour %s", a["data-server"], a["fill"], c)
				}
				p.colors[a["data-server"]] = a["fill"]
			case e.Name.Local == "text" && class == "missing":
				p.missing = append(p.missing, a["data-server"])
			case e.Name.Local == "g" && class == "whisker":
				p.whiskers++
			}
		case xml.CharData:
			switch class {
			case "value":
				p.labels = append(p.labels, string(e))
			case "tick":
				p.ticks = append(p.ticks, string(e))
			}
		case xml.EndElement:
			class = ""
		}
	}
	return p
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad number %q: %v", s, err)
	}
	return v
}

// checkProportional fails unless every bar's height is its value times one
// common factor and every bar stands on one baseline (the axis starts at 0).
func checkProportional(t *testing.T, bars []svgBar) {
	t.Helper()
	if len(bars) == 0 {
		t.Fatal("no bars")
	}
	k := bars[0].height / bars[0].value
	base := bars[0].y + bars[0].height
	for _, b := range bars {
		if got := b.height / b.value; math.Abs(got-k)/k > 0.01 {
			t.Errorf("%s/%s: height/value %g, want %g (bar heights not proportional)", b.scenario, b.server, got, k)
		}
		if math.Abs(b.y+b.height-base) > 0.02 {
			t.Errorf("%s/%s: bar bottom %g, want %g", b.scenario, b.server, b.y+b.height, base)
		}
	}
}

func plotToDir(t *testing.T, prefix string, paths ...string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	args := []string{"-out", dir}
	if prefix != "" {
		args = append(args, "-prefix", prefix)
	}
	if code := run(append(args, paths...), &out, &errOut); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut.String())
	}
	var names []string
	for _, l := range strings.Fields(out.String()) {
		names = append(names, filepath.Base(l))
	}
	return dir, names
}

// TestSampleReport plots a genuine cmd/compare report (one round of
// pingpong-64B-100c for shoal, gnet and std).
func TestSampleReport(t *testing.T) {
	raw, err := os.ReadFile("testdata/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	dir, names := plotToDir(t, "sample", "testdata/sample.json")
	want := []string{"sample-throughput.svg", "sample-cpu.svg", "sample-p99.svg"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v (no memory chart: no idle scenario)", names, want)
	}
	sc := rep.Scenarios[0]
	for _, tt := range []struct {
		file  string
		value func(load.Result) float64
		unit  string
	}{
		{file: "sample-throughput.svg", value: func(r load.Result) float64 { return r.MsgsPerSec }},
		{file: "sample-cpu.svg", value: func(r load.Result) float64 { return r.ServerNsMsg }, unit: "ns"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			p := parseSVG(t, doc)
			if len(p.bars) != len(sc.Servers) {
				t.Fatalf("%d bars, want one per server: %d", len(p.bars), len(sc.Servers))
			}
			for i, s := range sc.Servers {
				b := p.bars[i]
				if b.server != s.Server || b.scenario != sc.Name {
					t.Errorf("bar %d is %s/%s, want %s/%s", i, b.scenario, b.server, sc.Name, s.Server)
				}
				if want := tt.value(*s.Median); math.Abs(b.value-want) > 1e-9*want {
					t.Errorf("%s: bar value %g, want median %g", s.Server, b.value, want)
				}
				if want := withUnit(tt.value(*s.Median), tt.unit); !slices.Contains(p.labels, want) {
					t.Errorf("no label %q among %q", want, p.labels)
				}
			}
			checkProportional(t, p.bars)
			if !slices.Equal(p.legend, []string{"shoal", "gnet", "std"}) {
				t.Errorf("legend %v", p.legend)
			}
			if len(p.ticks) == 0 || p.ticks[0] != "0" {
				t.Errorf("y ticks %v, want them to start at 0", p.ticks)
			}
			for _, s := range []string{"median of 1 round", "pingpong-64B-100c", "2026-11-24", `font-family="sans-serif"`} {
				if !bytes.Contains(doc, []byte(s)) {
					t.Errorf("chart lacks %q", s)
				}
			}
			if bytes.Contains(doc, []byte("<script")) {
				t.Error("chart has a script")
			}
		})
	}
}

// result is a run with the figures the charts read.
func result(msgs, ns, p99, mem float64) load.Result {
	return load.Result{MsgsPerSec: msgs, ServerNsMsg: ns, ServerCPUMeasured: ns > 0, P99Micros: p99, BytesPerConn: mem}
}

// srv is one server's rounds, with the median of each figure as compare
// computes it.
func srv(name string, rounds ...load.Result) *serverResult {
	s := &serverResult{Server: name, Rounds: rounds}
	if len(rounds) == 0 {
		s.Failures = []string{"exit status 1"}
		return s
	}
	med := func(f func(load.Result) float64) float64 {
		var xs []float64
		for _, r := range rounds {
			xs = append(xs, f(r))
		}
		return medianOf(xs)
	}
	m := result(med(func(r load.Result) float64 { return r.MsgsPerSec }), med(func(r load.Result) float64 { return r.ServerNsMsg }),
		med(func(r load.Result) float64 { return r.P99Micros }), med(func(r load.Result) float64 { return r.BytesPerConn }))
	s.Median = &m
	return s
}

// mixedReport has echo, idle, room and WebSocket scenarios over three
// rounds, a server whose every round failed, and a scenario without CPU
// figures.
func mixedReport() *report {
	return &report{Started: "2026-01-02T03:04:05Z", GoVersion: "go1.26.8", Commit: "abc1234", Rounds: 3, Window: "5s", Warmup: "1s", Pinned: true, ServerCPU: "0", LoadCPU: "1",
		Scenarios: []*scenario{
			{Name: "pingpong-64B-100c", Kind: "echo", Servers: []*serverResult{
				srv("shoal", result(100e3, 2000, 900, 0), result(120e3, 2100, 950, 0), result(110e3, 1900, 1000, 0)),
				srv("gnet", result(90e3, 2500, 900, 0), result(95e3, 2400, 950, 0), result(80e3, 2600, 1000, 0)),
				srv("std"),
			}},
			{Name: "pipeline32-64B-100c", Kind: "echo", Servers: []*serverResult{
				srv("shoal", result(1.2e6, 0, 3000, 0)),
				srv("gnet", result(1.1e6, 0, 3100, 0)),
				srv("std", result(0.9e6, 0, 3500, 0)),
			}},
			{Name: "idle-mem", Kind: "echo", Idle: true, Servers: []*serverResult{
				srv("shoal", result(0, 0, 0, 3072)), srv("gnet", result(0, 0, 0, 4096)), srv("std", result(0, 0, 0, 9216)),
			}},
			{Name: "room-100", Kind: "room", Servers: []*serverResult{
				srv("shoal", result(11.9e6, 87, 5000, 0)), srv("hub", result(2e6, 500, 20000, 0)),
			}},
			{Name: "ws-pingpong-64B-100c", Kind: "ws", Servers: []*serverResult{
				srv("shoal-ws", result(100e3, 2500, 1000, 0)), srv("gnet-ws", result(80e3, 2900, 1300, 0)),
			}},
		}}
}

func TestMixedReport(t *testing.T) {
	raw, err := json.Marshal(mixedReport())
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "all.json")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	dir, names := plotToDir(t, "", in)
	want := []string{"all-throughput.svg", "all-cpu.svg", "all-p99.svg", "all-memory.svg", "all-rooms-throughput.svg", "all-rooms-cpu.svg", "all-rooms-p99.svg"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	tests := []struct {
		file      string
		bars      []string // scenario/server of every bar, in order
		values    []float64
		labels    []string
		missing   []string
		whiskers  int
		inTitle   []string
		notInFile []string
	}{
		{file: "all-throughput.svg",
			bars:   []string{"pingpong-64B-100c/shoal", "pingpong-64B-100c/gnet", "pipeline32-64B-100c/shoal", "pipeline32-64B-100c/gnet", "pipeline32-64B-100c/std", "ws-pingpong-64B-100c/shoal-ws", "ws-pingpong-64B-100c/gnet-ws"},
			values: []float64{110e3, 90e3, 1.2e6, 1.1e6, 0.9e6, 100e3, 80e3},
			labels: []string{"110k", "90k", "1.2M", "1.1M", "900k", "100k", "80k"}, missing: []string{"std"}, whiskers: 2,
			inTitle: []string{"messages per second", "median of 3 rounds", "abc1234", "2026-01-02", "Higher is better"}, notInFile: []string{"idle-mem", "room-100"}},
		{file: "all-cpu.svg", // pipeline32 measured no CPU: not drawn
			bars:   []string{"pingpong-64B-100c/shoal", "pingpong-64B-100c/gnet", "ws-pingpong-64B-100c/shoal-ws", "ws-pingpong-64B-100c/gnet-ws"},
			values: []float64{2000, 2500, 2500, 2900}, labels: []string{"2000 ns", "2500 ns", "2500 ns", "2900 ns"}, missing: []string{"std"}, whiskers: 2,
			inTitle: []string{"CPU time per message", "Lower is better"}, notInFile: []string{"pipeline32"}},
		{file: "all-p99.svg", // ≥ 1000 µs: drawn in ms
			bars:   []string{"pingpong-64B-100c/shoal", "pingpong-64B-100c/gnet", "pipeline32-64B-100c/shoal", "pipeline32-64B-100c/gnet", "pipeline32-64B-100c/std", "ws-pingpong-64B-100c/shoal-ws", "ws-pingpong-64B-100c/gnet-ws"},
			values: []float64{0.95, 0.95, 3, 3.1, 3.5, 1, 1.3}, labels: []string{"0.95 ms", "3 ms", "3.1 ms", "3.5 ms", "1 ms", "1.3 ms"}, missing: []string{"std"}, whiskers: 2,
			inTitle: []string{"(ms)"}},
		{file: "all-memory.svg",
			bars:   []string{"idle-mem/shoal", "idle-mem/gnet", "idle-mem/std"},
			values: []float64{3, 4, 9}, labels: []string{"3 KiB", "4 KiB", "9 KiB"},
			inTitle: []string{"Memory per idle connection", "KiB"}, notInFile: []string{"pingpong", "window"}},
		{file: "all-rooms-throughput.svg",
			bars:   []string{"room-100/shoal", "room-100/hub"},
			values: []float64{11.9e6, 2e6}, labels: []string{"11.9M", "2M"},
			inTitle: []string{"deliveries per second"}},
		{file: "all-rooms-cpu.svg",
			bars:   []string{"room-100/shoal", "room-100/hub"},
			values: []float64{87, 500}, labels: []string{"87 ns", "500 ns"},
			inTitle: []string{"CPU time per delivery"}},
	}
	colors := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			p := parseSVG(t, doc)
			var got []string
			for i, b := range p.bars {
				got = append(got, b.scenario+"/"+b.server)
				if i < len(tt.values) && math.Abs(b.value-tt.values[i]) > 1e-9*tt.values[i] {
					t.Errorf("%s/%s: value %g, want %g", b.scenario, b.server, b.value, tt.values[i])
				}
			}
			if !slices.Equal(got, tt.bars) {
				t.Fatalf("bars %v, want %v", got, tt.bars)
			}
			checkProportional(t, p.bars)
			for _, l := range tt.labels {
				if !slices.Contains(p.labels, l) {
					t.Errorf("no value label %q among %q", l, p.labels)
				}
			}
			if len(p.labels) != len(p.bars) {
				t.Errorf("%d value labels for %d bars", len(p.labels), len(p.bars))
			}
			if !slices.Equal(p.missing, tt.missing) {
				t.Errorf("n/a for %v, want %v", p.missing, tt.missing)
			}
			if p.whiskers != tt.whiskers {
				t.Errorf("%d whiskers, want %d (one per bar with differing rounds)", p.whiskers, tt.whiskers)
			}
			for _, s := range tt.inTitle {
				if !bytes.Contains(doc, []byte(s)) {
					t.Errorf("chart lacks %q", s)
				}
			}
			for _, s := range tt.notInFile {
				if bytes.Contains(doc, []byte(s)) {
					t.Errorf("chart has %q", s)
				}
			}
			for s, c := range p.colors {
				if prev, ok := colors[s]; ok && prev != c {
					t.Errorf("%s is %s here and %s in another chart", s, c, prev)
				}
				colors[s] = c
			}
		})
	}
	if colors["shoal"] != serverColors["shoal"] {
		t.Errorf("shoal is %s, want %s", colors["shoal"], serverColors["shoal"])
	}
}

func TestSeveralReportsPrefix(t *testing.T) {
	_, names := plotToDir(t, "bench", "testdata/sample.json", "testdata/sample.json")
	want := []string{"bench-sample-throughput.svg", "bench-sample-cpu.svg", "bench-sample-p99.svg"}
	if !slices.Equal(names[:3], want) || len(names) != 6 {
		t.Fatalf("files %v, want %v twice", names, want)
	}
}

func TestBadInput(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no report", args: nil, wantErr: "usage"},
		{name: "missing file", args: []string{filepath.Join(tmp, "nope.json")}, wantErr: "no such file"},
		{name: "invalid JSON", args: []string{write("bad.json", `{"scenarios": [`)}, wantErr: "not a compare -json report"},
		{name: "not an object", args: []string{write("array.json", `[1, 2]`)}, wantErr: "not a compare -json report"},
		{name: "empty object", args: []string{write("empty.json", `{}`)}, wantErr: errEmpty.Error()},
		{name: "no scenarios", args: []string{write("none.json", `{"rounds": 3, "scenarios": []}`)}, wantErr: errEmpty.Error()},
		{name: "every round failed", args: []string{write("failed.json",
			`{"scenarios": [{"name": "pingpong-64B-100c", "servers": [{"server": "shoal", "rounds": [], "failures": ["boom"]}]}]}`)}, wantErr: errEmpty.Error()},
		{name: "nothing measured", args: []string{write("zero.json",
			`{"scenarios": [{"name": "pingpong-64B-100c", "servers": [{"server": "shoal", "rounds": [{"msgs_per_sec": 0}]}]}]}`)}, wantErr: errEmpty.Error()},
		{name: "one bad among good", args: []string{"testdata/sample.json", write("bad2.json", `nope`)}, wantErr: "bad2.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(tmp, "out-"+strings.ReplaceAll(tt.name, " ", "-"))
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"-out", out}, tt.args...), &stdout, &stderr); code != 1 {
				t.Fatalf("exit %d, want 1; stderr: %s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q, want it to mention %q", stderr.String(), tt.wantErr)
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Errorf("wrote %d files on bad input", len(entries))
			}
		})
	}
}

func TestShort(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {0.25, "0.25"}, {0.5, "0.5"}, {4, "4"}, {4.04, "4"}, {87, "87"}, {5467.2, "5467"}, {36561, "36.6k"},
		{101810, "102k"}, {999_400, "999k"}, {1.2e6, "1.2M"}, {11.94e6, "11.9M"}, {2.5e9, "2.5G"},
	}
	for _, tt := range tests {
		if got := short(tt.in); got != tt.want {
			t.Errorf("short(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNiceAxis(t *testing.T) {
	tests := []struct {
		need, top, step float64
	}{
		{need: 0, top: 1, step: 0.2},
		{need: 1, top: 1, step: 0.2},
		{need: 107e3, top: 125e3, step: 25e3},
		{need: 9.6, top: 10, step: 2},
		{need: 550, top: 600, step: 200},
		{need: 13.1e6, top: 15e6, step: 5e6},
	}
	for _, tt := range tests {
		top, step := niceAxis(tt.need)
		if math.Abs(top-tt.top) > 1e-9*tt.top || math.Abs(step-tt.step) > 1e-9*tt.step {
			t.Errorf("niceAxis(%g) = %g, %g; want %g, %g", tt.need, top, step, tt.top, tt.step)
		}
		if top < tt.need {
			t.Errorf("niceAxis(%g): top %g below need", tt.need, top)
		}
	}
}

func TestColorsFor(t *testing.T) {
	c := colorsFor([]string{"mystery", "shoal", "other", "gnet"})
	if c["shoal"] != serverColors["shoal"] || c["gnet"] != serverColors["gnet"] {
		t.Errorf("fixed colours changed: %v", c)
	}
	if c["mystery"] == "" || c["mystery"] == c["other"] || c["mystery"] == c["shoal"] {
		t.Errorf("spare colours not distinct: %v", c)
	}
}

// A TLS report: the echo scenarios' charts hold messages, the handshake
// scenarios get charts of their own in handshakes, and each TLS server keeps
// its colour.
func TestTLSReport(t *testing.T) {
	r := &report{Started: "2026-01-02T03:04:05Z", GoVersion: "go1.26.8", Rounds: 1, Window: "5s", Warmup: "1s",
		Scenarios: []*scenario{
			{Name: "tls-pingpong-64B-100c", Kind: "tls", Servers: []*serverResult{
				srv("shoal-tls", result(90e3, 3000, 900, 0)), srv("std-tls", result(70e3, 4000, 1100, 0)), srv("nbio-tls", result(60e3, 4500, 1200, 0)),
			}},
			{Name: "tls-handshake-full", Kind: "tls", Handshake: "full", Servers: []*serverResult{
				srv("shoal-tls", result(4000, 240e3, 9000, 0)), srv("std-tls", result(4100, 235e3, 9500, 0)), srv("nbio-tls", result(3900, 250e3, 9900, 0)),
			}},
			{Name: "tls-idle-mem", Kind: "tls", Idle: true, Servers: []*serverResult{
				srv("shoal-tls", result(0, 0, 0, 8192)), srv("std-tls", result(0, 0, 0, 40960)), srv("nbio-tls", result(0, 0, 0, 20480)),
			}},
		}}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "tls.json")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	dir, names := plotToDir(t, "", in)
	want := []string{"tls-throughput.svg", "tls-cpu.svg", "tls-p99.svg", "tls-memory.svg",
		"tls-handshakes-throughput.svg", "tls-handshakes-cpu.svg", "tls-handshakes-p99.svg"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for file, wantIn := range map[string][]string{
		"tls-throughput.svg":            {"messages per second", "tls-pingpong-64B-100c"},
		"tls-handshakes-throughput.svg": {"handshakes per second", "tls-handshake-full"},
		"tls-handshakes-cpu.svg":        {"CPU time per handshake"},
	} {
		doc, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range wantIn {
			if !bytes.Contains(doc, []byte(s)) {
				t.Errorf("%s lacks %q", file, s)
			}
		}
		p := parseSVG(t, doc)
		for _, b := range p.bars {
			if (b.scenario == "tls-handshake-full") != strings.Contains(file, "handshakes") {
				t.Errorf("%s has a bar of %s", file, b.scenario)
			}
		}
		for _, s := range []string{"shoal-tls", "std-tls", "nbio-tls"} {
			if p.colors[s] != serverColors[s] {
				t.Errorf("%s: %s is %s, want %s", file, s, p.colors[s], serverColors[s])
			}
		}
	}
}
