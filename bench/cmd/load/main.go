// Command load drives an echo server (raw TCP or, with -proto ws, WebSocket,
// with -proto tls, TLS), a TLS server's handshakes (-handshakes) or a chat room on loopback and prints what it measured as one JSON object
// (load.Result) on standard output. cmd/compare runs it pinned to its own
// CPU; it can also be run by hand:
//
//	load -addr 127.0.0.1:9000 -conns 100 -size 64 -depth 1 -warmup 1s -duration 5s -server-pid 1234
//	load -idle -addr 127.0.0.1:9000 -conns 10000 -sources 127.0.0.2-127.0.0.9 -server-pid 1234
//	load -proto ws -addr 127.0.0.1:9006 -conns 100 -size 64 -depth 1 -warmup 1s -duration 5s -server-pid 1234
//	load -proto tls -ca cert.pem -addr 127.0.0.1:9443 -conns 100 -size 64 -depth 1 -warmup 1s -duration 5s -server-pid 1234
//	load -handshakes [-resume] -ca cert.pem -addr 127.0.0.1:9443 -conns 32 -sources 127.0.0.2-127.0.0.9 -server-pid 1234
//	load -room -addr 127.0.0.1:9003 -conns 1000 -senders 10 -ahead 8 -size 32 -sources 127.0.0.2-127.0.0.9 -server-pid 1234
//
// It stops by itself: the whole run is bounded by its warm-up, window and
// grace, and a watchdog exits the process if that bound is ever overrun.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/bench/internal/load"
	"github.com/shoalrt/shoal/bench/internal/tlscert"
)

func main() {
	var cfg load.Config
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:9000", "server address (loopback only)")
	flag.IntVar(&cfg.Conns, "conns", 100, "connections")
	flag.IntVar(&cfg.Size, "size", 64, "message size in bytes (>= 8)")
	flag.StringVar(&cfg.Proto, "proto", load.ProtoTCP, "echo protocol: tcp (raw bytes), ws (WebSocket: handshake, then one binary frame per message) or tls (TLS handshake, then raw bytes over TLS)")
	caFile := flag.String("ca", "", "tls: PEM root certificate(s) to verify the server with (default: no verification)")
	serverName := flag.String("server-name", "", "tls: name to verify the server's certificate for (default: the host of -addr)")
	curves := flag.String("curves", "", "tls: key exchanges the client offers, in order, comma-separated: X25519MLKEM768, X25519, P256, P384 (default: crypto/tls's)")
	handshakes := flag.Bool("handshakes", false, "measure TLS handshakes per second: -conns workers each dial, handshake, echo one message, close, repeat")
	flag.BoolVar(&cfg.Resume, "resume", false, "handshakes: keep a client session cache, so that handshakes resume sessions from tickets")
	flag.IntVar(&cfg.Depth, "depth", 1, "messages in flight per connection (1 = ping-pong)")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Second, "warm-up before the measured window")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measured window")
	flag.IntVar(&cfg.ServerPID, "server-pid", 0, "server process ID, for its CPU time and RSS")
	flag.DurationVar(&cfg.Settle, "settle", 500*time.Millisecond, "idle: wait after the last echo before reading RSS")
	sources := flag.String("sources", "", "local source addresses, e.g. 127.0.0.2-127.0.0.9 (default: kernel's choice)")
	idle := flag.Bool("idle", false, "measure server memory per idle connection instead of throughput")
	roomMode := flag.Bool("room", false, "drive a chat room (every line to every connection) instead of an echo server")
	flag.IntVar(&cfg.Senders, "senders", 10, "room: connections that send lines")
	flag.IntVar(&cfg.Ahead, "ahead", 8, "room: own lines a sender may have unreturned")
	flag.IntVar(&cfg.Verify, "verify", 16, "room: non-sending members whose every line is checked")
	flag.Parse()

	var err error
	if cfg.Sources, err = load.ParseSources(*sources); err != nil {
		fatal(err)
	}
	if *handshakes {
		cfg.Proto = load.ProtoTLS
	}
	if cfg.Proto == load.ProtoTLS {
		name := *serverName
		if name == "" {
			if name, _, err = net.SplitHostPort(cfg.Addr); err != nil {
				fatal(err)
			}
		}
		if cfg.TLS, err = tlscert.ClientConfig(*caFile, name); err != nil {
			fatal(err)
		}
		if cfg.TLS.CurvePreferences, err = tlscert.ParseCurves(*curves); err != nil {
			fatal(err)
		}
	}

	// Bound the whole run: dialing and joining get 40 s, then the phases,
	// then grace.
	limit := 40*time.Second + cfg.Warmup + cfg.Duration + cfg.Settle + 25*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	watchdog := time.AfterFunc(limit+10*time.Second, func() {
		fmt.Fprintln(os.Stderr, "load: watchdog: run overran its bound, exiting")
		os.Exit(3)
	})
	defer watchdog.Stop()

	var res load.Result
	switch {
	case *idle:
		res, err = load.RunIdle(ctx, cfg)
	case *handshakes:
		res, err = load.RunHandshakes(ctx, cfg)
	case *roomMode:
		res, err = load.RunRoom(ctx, cfg)
	default:
		res, err = load.Run(ctx, cfg)
	}
	if err != nil {
		fatal(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}
