// Command plot turns the JSON reports of cmd/compare (-json FILE) into SVG
// bar charts for docs/benchmarks.md: for each report, one chart per metric
// with the scenarios along the x axis and one bar per server (its median
// over the rounds, with a whisker from the lowest to the highest round):
//
//	PREFIX-throughput.svg  messages (rooms: deliveries) per second
//	PREFIX-cpu.svg         server CPU nanoseconds per message (delivery)
//	PREFIX-p99.svg         p99 latency
//	PREFIX-memory.svg      server RSS per idle connection
//
// A metric no scenario of the report has is skipped. When one report holds
// both room scenarios and echo or WebSocket ones, the room charts are
// PREFIX-rooms-METRIC.svg, their unit being deliveries rather than messages;
// likewise the TLS handshake scenarios' charts are PREFIX-handshakes-METRIC.svg
// (handshakes per second, server CPU per handshake, p99 from dial to echo).
// Each server keeps its colour in every chart (Shoal blue, gnet orange, the
// standard library green).
//
//	cd bench && go run ./cmd/compare -json /tmp/echo.json
//	cd bench && go run ./cmd/plot -out ../docs/img -prefix echo /tmp/echo.json
//
// PREFIX is -prefix, or the report's file name without .json; with several
// reports it is PREFIX-NAME (or NAME alone without -prefix). The charts are
// plain SVG (no script, font-family sans-serif) drawn 800 pixels wide.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the command with its arguments and outputs: it writes the charts,
// prints their paths on stdout and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", ".", "directory to write the SVG files to (created if missing)")
	prefix := fs.String("prefix", "", "file name prefix (default: the report's file name without .json)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./cmd/plot -out DIR [-prefix NAME] report.json [more.json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 1
	}
	if err := plotAll(*out, *prefix, fs.Args(), stdout); err != nil {
		fmt.Fprintln(stderr, "plot:", err)
		return 1
	}
	return 0
}

// plotAll reads every report first (so that bad input writes nothing), then
// writes their charts into dir and prints each file's path.
func plotAll(dir, prefix string, paths []string, stdout io.Writer) error {
	var all [][]*chart
	for _, p := range paths {
		r, err := readReport(p)
		if err != nil {
			return err
		}
		charts := buildCharts(r, prefixFor(prefix, p, len(paths) > 1))
		if len(charts) == 0 {
			return fmt.Errorf("%s: %w", p, errEmpty)
		}
		all = append(all, charts)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, charts := range all {
		for _, c := range charts {
			var b bytes.Buffer
			if err := c.writeSVG(&b); err != nil {
				return fmt.Errorf("%s: %w", c.File, err)
			}
			name := filepath.Join(dir, c.File)
			if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintln(stdout, name)
		}
	}
	return nil
}

// prefixFor returns the file name prefix of the report at path.
func prefixFor(prefix, path string, several bool) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	switch {
	case prefix == "":
		return base
	case several:
		return prefix + "-" + base
	}
	return prefix
}
