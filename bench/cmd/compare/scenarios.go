package main

import (
	"fmt"
	"strings"
	"time"
)

// Kinds of scenario; each has its own set of servers.
const (
	kindEcho = "echo" // echo servers: ping-pong, pipelined, idle memory
	kindRoom = "room" // chat rooms: every line to every member
	kindWS   = "ws"   // WebSocket echo servers: the echo shapes over WebSocket
	kindTLS  = "tls"  // TLS echo servers: echo shapes over TLS, handshake rates, idle memory
)

// Handshake scenarios: tlsHandshakers workers each dial, handshake, echo
// one tlsHandshakeEcho-byte message and close, over and over.
const (
	tlsHandshakers   = 32
	tlsHandshakeEcho = 64
)

// Room scenario shape: 10 senders, 32-byte lines, 8 of a sender's own lines
// in flight; shorter windows than echo so that a rooms run stays within
// about 4 minutes.
const (
	roomSenders = 10
	roomLine    = 32
	roomAhead   = 8
	roomWindow  = 3 * time.Second
	roomWarmup  = time.Second
)

// scenario is one load shape every server of its kind is run under.
type scenario struct {
	name    string // short name used by -scenarios and in the JSON
	desc    string // one line for the table's title
	kind    string // kindEcho, kindRoom, kindWS or kindTLS
	conns   int    // handshake scenarios: workers, each on one connection at a time
	size    int    // message (line) bytes
	depth   int    // messages in flight per connection (1 = ping-pong); room: a sender's own lines ahead
	senders int    // room: connections that send
	idle    bool   // memory per idle connection instead of throughput
	// handshake, in a kindTLS scenario, measures handshakes per second
	// instead of messages: handshakeFull (no session cache) or
	// handshakeResumed (a client session cache; tickets from the server).
	handshake string
}

// Kinds of handshake scenario.
const (
	handshakeFull    = "full"
	handshakeResumed = "resumed"
)

// groups are the names -scenarios accepts besides single scenarios: echo
// (every echo scenario, the default), rooms (every room), ws (every
// WebSocket echo scenario), tls (every TLS scenario), all (every scenario).
var groups = []string{"echo", "rooms", "ws", "tls", "all"}

// allScenarios are the scenarios in the order they run: the echo ones, the
// rooms, the WebSocket echo ones, then the TLS ones. idleConns is the connection count of
// the memory scenarios.
func allScenarios(idleConns int) []scenario {
	room := func(n int) scenario {
		return scenario{name: fmt.Sprintf("room-%d", n), kind: kindRoom, conns: n, size: roomLine, depth: roomAhead, senders: roomSenders,
			desc: fmt.Sprintf("chat room, %d members, %d sending %d-byte lines (%d ahead), every line to every member", n, roomSenders, roomLine, roomAhead)}
	}
	return []scenario{
		{name: "pingpong-64B-100c", kind: kindEcho, desc: "64-byte ping-pong, 100 connections", conns: 100, size: 64, depth: 1},
		{name: "pingpong-64B-1000c", kind: kindEcho, desc: "64-byte ping-pong, 1000 connections", conns: 1000, size: 64, depth: 1},
		{name: "pingpong-4KiB-100c", kind: kindEcho, desc: "4 KiB ping-pong, 100 connections", conns: 100, size: 4096, depth: 1},
		{name: "pipeline32-64B-100c", kind: kindEcho, desc: "64-byte pipelined, 32 in flight per connection, 100 connections", conns: 100, size: 64, depth: 32},
		{name: "idle-mem", kind: kindEcho, desc: fmt.Sprintf("memory per idle connection, %d connections each echoing one 64-byte message", idleConns),
			conns: idleConns, size: 64, depth: 1, idle: true},
		room(100),
		room(1000),
		room(10000),
		{name: "ws-pingpong-64B-100c", kind: kindWS, desc: "WebSocket 64-byte binary ping-pong, 100 connections", conns: 100, size: 64, depth: 1},
		{name: "ws-pingpong-4KiB-100c", kind: kindWS, desc: "WebSocket 4 KiB binary ping-pong, 100 connections", conns: 100, size: 4096, depth: 1},
		{name: "ws-pipeline32-64B-100c", kind: kindWS, desc: "WebSocket 64-byte binary pipelined, 32 in flight per connection, 100 connections", conns: 100, size: 64, depth: 32},
		{name: "ws-idle-mem", kind: kindWS, desc: fmt.Sprintf("memory per idle WebSocket connection, %d connections each upgraded and echoing one 64-byte message", idleConns),
			conns: idleConns, size: 64, depth: 1, idle: true},
		{name: "tls-pingpong-64B-100c", kind: kindTLS, desc: "TLS 64-byte ping-pong, 100 connections", conns: 100, size: 64, depth: 1},
		{name: "tls-pingpong-64B-1000c", kind: kindTLS, desc: "TLS 64-byte ping-pong, 1000 connections", conns: 1000, size: 64, depth: 1},
		{name: "tls-pingpong-4KiB-100c", kind: kindTLS, desc: "TLS 4 KiB ping-pong, 100 connections", conns: 100, size: 4096, depth: 1},
		{name: "tls-handshake-full", kind: kindTLS, handshake: handshakeFull, conns: tlsHandshakers, size: tlsHandshakeEcho, depth: 1,
			desc: fmt.Sprintf("full TLS handshakes (no session cache), %d clients each connecting, echoing %d bytes, closing, again", tlsHandshakers, tlsHandshakeEcho)},
		{name: "tls-handshake-resumed", kind: kindTLS, handshake: handshakeResumed, conns: tlsHandshakers, size: tlsHandshakeEcho, depth: 1,
			desc: fmt.Sprintf("resumed TLS handshakes (session tickets), %d clients each connecting, echoing %d bytes, closing, again", tlsHandshakers, tlsHandshakeEcho)},
		{name: "tls-idle-mem", kind: kindTLS, desc: fmt.Sprintf("memory per idle TLS connection, %d connections each handshaken and echoing one 64-byte message", idleConns),
			conns: idleConns, size: 64, depth: 1, idle: true},
	}
}

// inGroup reports whether s belongs to the named group.
func inGroup(group string, s scenario) bool {
	switch group {
	case "echo":
		return s.kind == kindEcho
	case "rooms":
		return s.kind == kindRoom
	case "ws":
		return s.kind == kindWS
	case "tls":
		return s.kind == kindTLS
	case "all":
		return true
	}
	return false
}

// pickScenarios returns the scenarios named in the comma-separated list of
// names and groups (echo, rooms, ws, tls, all; "" is echo), in run order.
func pickScenarios(list string, idleConns int) ([]scenario, error) {
	all := allScenarios(idleConns)
	if strings.TrimSpace(list) == "" {
		list = "echo"
	}
	want := map[string]bool{}
	for n := range strings.SplitSeq(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []scenario
	for _, s := range all {
		picked := want[s.name]
		for _, g := range groups {
			picked = picked || (want[g] && inGroup(g, s))
		}
		if picked {
			out = append(out, s)
		}
	}
	for _, s := range all {
		delete(want, s.name)
	}
	for _, g := range groups {
		delete(want, g)
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
		return nil, fmt.Errorf("unknown scenario(s) %v; known: %s, %s", unknown, strings.Join(groups, ", "), strings.Join(names, ", "))
	}
	return out, nil
}
