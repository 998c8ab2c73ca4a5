package main

import (
	"fmt"
	"strings"
)

// scenario is one load shape every server is run under.
type scenario struct {
	name  string // short name used by -scenarios and in the JSON
	desc  string // one line for the table's title
	conns int
	size  int  // message bytes
	depth int  // messages in flight per connection (1 = ping-pong)
	idle  bool // memory per idle connection instead of throughput
}

// allScenarios are the scenarios in the order they run. idleConns is the
// connection count of the memory scenario.
func allScenarios(idleConns int) []scenario {
	return []scenario{
		{name: "pingpong-64B-100c", desc: "64-byte ping-pong, 100 connections", conns: 100, size: 64, depth: 1},
		{name: "pingpong-64B-1000c", desc: "64-byte ping-pong, 1000 connections", conns: 1000, size: 64, depth: 1},
		{name: "pingpong-4KiB-100c", desc: "4 KiB ping-pong, 100 connections", conns: 100, size: 4096, depth: 1},
		{name: "pipeline32-64B-100c", desc: "64-byte pipelined, 32 in flight per connection, 100 connections", conns: 100, size: 64, depth: 32},
		{name: "idle-mem", desc: fmt.Sprintf("memory per idle connection, %d connections each echoing one 64-byte message", idleConns),
			conns: idleConns, size: 64, depth: 1, idle: true},
	}
}

// pickScenarios returns the scenarios named in the comma-separated list
// (or all for "all" / ""), in run order.
func pickScenarios(list string, idleConns int) ([]scenario, error) {
	all := allScenarios(idleConns)
	if list == "" || list == "all" {
		return all, nil
	}
	want := map[string]bool{}
	for n := range strings.SplitSeq(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []scenario
	for _, s := range all {
		if want[s.name] {
			out = append(out, s)
			delete(want, s.name)
		}
	}
	if len(want) > 0 {
		var names []string
		for _, s := range all {
			names = append(names, s.name)
		}
		var unknown []string
		for n := range want {
			unknown = append(unknown, n)
		}
		return nil, fmt.Errorf("unknown scenario(s) %v; known: %s", unknown, strings.Join(names, ", "))
	}
	return out, nil
}
