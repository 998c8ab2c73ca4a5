package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/shoalrt/shoal/bench/internal/load"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{name: "none", in: nil, want: 0},
		{name: "one", in: []float64{7}, want: 7},
		{name: "odd, unsorted", in: []float64{9, 1, 5}, want: 5},
		{name: "even", in: []float64{4, 1, 3, 2}, want: 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Fatalf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestPickScenarios(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		want    []string
		wantErr bool
	}{
		{name: "default is echo", list: "", want: []string{"pingpong-64B-100c", "pingpong-64B-1000c", "pingpong-4KiB-100c", "pipeline32-64B-100c", "idle-mem"}},
		{name: "echo", list: "echo", want: []string{"pingpong-64B-100c", "pingpong-64B-1000c", "pingpong-4KiB-100c", "pipeline32-64B-100c", "idle-mem"}},
		{name: "rooms", list: "rooms", want: []string{"room-100", "room-1000", "room-10000"}},
		{name: "ws", list: "ws", want: []string{"ws-pingpong-64B-100c", "ws-pingpong-4KiB-100c", "ws-pipeline32-64B-100c", "ws-idle-mem"}},
		{name: "all", list: "all", want: []string{"pingpong-64B-100c", "pingpong-64B-1000c", "pingpong-4KiB-100c", "pipeline32-64B-100c", "idle-mem",
			"room-100", "room-1000", "room-10000", "ws-pingpong-64B-100c", "ws-pingpong-4KiB-100c", "ws-pipeline32-64B-100c", "ws-idle-mem",
			"tls-pingpong-64B-100c", "tls-pingpong-64B-1000c", "tls-pingpong-4KiB-100c", "tls-handshake-full", "tls-handshake-resumed", "tls-idle-mem"}},
		{name: "tls", list: "tls", want: []string{"tls-pingpong-64B-100c", "tls-pingpong-64B-1000c", "tls-pingpong-4KiB-100c", "tls-handshake-full", "tls-handshake-resumed", "tls-idle-mem"}},
		{name: "ws name and echo", list: "ws-pingpong-64B-100c,echo", want: []string{"pingpong-64B-100c", "pingpong-64B-1000c", "pingpong-4KiB-100c", "pipeline32-64B-100c", "idle-mem", "ws-pingpong-64B-100c"}},
		{name: "group and name", list: "room-1000,idle-mem,rooms", want: []string{"idle-mem", "room-100", "room-1000", "room-10000"}},
		{name: "run order kept", list: "idle-mem, pingpong-64B-100c", want: []string{"pingpong-64B-100c", "idle-mem"}},
		{name: "unknown", list: "pingpong-64B-100c,nope", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickScenarios(tt.list, 10000)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", names, tt.want)
			}
		})
	}
}

func TestPickServers(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		kinds   []string
		want    string
		wantErr bool
	}{
		{name: "table order", list: "std,shoal", kinds: []string{kindEcho}, want: "shoal,std"},
		{name: "every echo server", list: "", kinds: []string{kindEcho}, want: "shoal,gnet,std"},
		{name: "every room server", list: "", kinds: []string{kindRoom}, want: "shoal,shoal-bcast,gnet,gnet-naive,hub"},
		{name: "both kinds", list: "shoal,hub", kinds: []string{kindEcho, kindRoom}, want: "shoal,shoal,hub"},
		{name: "every ws server", list: "", kinds: []string{kindWS}, want: "shoal-ws,gnet-ws"},
		{name: "ws and echo", list: "gnet,gnet-ws", kinds: []string{kindEcho, kindWS}, want: "gnet,gnet-ws"},
		{name: "every tls server", list: "", kinds: []string{kindTLS}, want: "shoal-tls,std-tls,nbio-tls"},
		{name: "plain std for tls", list: "std", kinds: []string{kindTLS}, wantErr: true},
		{name: "echo server for ws", list: "shoal", kinds: []string{kindWS}, wantErr: true},
		{name: "room server for echo", list: "hub", kinds: []string{kindEcho}, wantErr: true},
		{name: "unknown", list: "gnet,nginx", kinds: []string{kindEcho}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickServers(tt.list, tt.kinds...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.name)
			}
			if strings.Join(names, ",") != tt.want {
				t.Fatalf("got %v, want %s", names, tt.want)
			}
		})
	}
}

func TestBaseFor(t *testing.T) {
	tests := []struct {
		base, kind, want string
	}{
		{base: "shoal", kind: kindEcho, want: "shoal"},
		{base: "shoal", kind: kindRoom, want: "shoal"},
		{base: "shoal", kind: kindWS, want: "shoal-ws"},
		{base: "gnet", kind: kindWS, want: "gnet-ws"},
		{base: "gnet-ws", kind: kindWS, want: "gnet-ws"},
		{base: "shoal", kind: kindTLS, want: "shoal-tls"},
		{base: "std-tls", kind: kindTLS, want: "std-tls"},
	}
	for _, tt := range tests {
		if got := baseFor(tt.base, tt.kind); got != tt.want {
			t.Errorf("baseFor(%q, %q) = %q, want %q", tt.base, tt.kind, got, tt.want)
		}
	}
}

func TestSummarizeAndRatios(t *testing.T) {
	rounds := func(rates ...float64) []load.Result {
		var rs []load.Result
		for _, r := range rates {
			rs = append(rs, load.Result{MsgsPerSec: r, ServerNsMsg: 1e9 / r, BadEchoes: 1})
		}
		return rs
	}
	sc := &scenarioReport{Name: "x", Desc: "test", Servers: []*serverReport{
		{Server: "shoal", Rounds: rounds(90, 110, 100)},
		{Server: "gnet", Rounds: rounds(50, 40, 60)},
		{Server: "std", Failures: []string{"boom\ndetails"}},
	}}
	for _, s := range sc.Servers {
		s.summarize(false)
	}
	shoal := sc.Servers[0]
	if shoal.Median.MsgsPerSec != 100 || shoal.Median.BadEchoes != 3 {
		t.Fatalf("median %+v", shoal.Median)
	}
	if math.Abs(shoal.Spread-0.2) > 1e-9 {
		t.Fatalf("spread %v, want 0.2", shoal.Spread)
	}
	if sc.Servers[2].Median != nil {
		t.Fatal("a server with no rounds has a median")
	}

	sc.computeRatios("shoal")
	if len(sc.Ratios) != 1 {
		t.Fatalf("ratios %+v, want one (gnet)", sc.Ratios)
	}
	r := sc.Ratios[0]
	if r.Peer != "gnet" || math.Abs(r.MsgsPerSec-2) > 1e-9 || math.Abs(r.CPUPerMsg-0.5) > 1e-9 {
		t.Fatalf("ratio %+v, want msgs/s 2, CPU/msg 0.5", r)
	}

	var out bytes.Buffer
	writeTable(&out, sc, 3, "5s")
	for _, want := range []string{"== x: test", "shoal", "no result", "std failed a round: boom", "shoal/gnet: msgs/s 2.00x", "CPU per message 0.50x"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}

	sc.computeRatios("absent")
	if sc.Ratios != nil {
		t.Fatalf("ratios without a base: %+v", sc.Ratios)
	}
}

func TestRoomTable(t *testing.T) {
	sc := &scenarioReport{Name: "room-100", Desc: "room", Kind: kindRoom, Servers: []*serverReport{
		{Server: "shoal", Rounds: []load.Result{{MsgsPerSec: 8e6, ServerNsMsg: 100, Gaps: 1}}},
		{Server: "hub", Rounds: []load.Result{{MsgsPerSec: 4e6, ServerNsMsg: 250, Missing: 2}}},
	}}
	for _, s := range sc.Servers {
		s.summarize(false)
	}
	sc.computeRatios("shoal")
	var out bytes.Buffer
	writeTable(&out, sc, 1, "3s")
	for _, want := range []string{"deliveries/s", "gaps", "missing", "shoal/hub: deliveries/s 2.00x", "server CPU per delivery 0.40x"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestIdleTable(t *testing.T) {
	sc := &scenarioReport{Name: "idle-mem", Desc: "idle", Idle: true, Servers: []*serverReport{
		{Server: "shoal", Rounds: []load.Result{{RSSBefore: 1 << 20, RSSAfter: 3 << 20, BytesPerConn: 200}}},
		{Server: "std", Rounds: []load.Result{{RSSBefore: 1 << 20, RSSAfter: 9 << 20, BytesPerConn: 800}}},
	}}
	for _, s := range sc.Servers {
		s.summarize(true)
	}
	sc.computeRatios("shoal")
	var out bytes.Buffer
	writeTable(&out, sc, 1, "5s")
	if !strings.Contains(out.String(), "shoal/std: memory per connection 0.25x") {
		t.Fatalf("table:\n%s", out.String())
	}
}

// -prev adds each Shoal server once more, built from the other checkout.
func TestWithPrev(t *testing.T) {
	srvs, err := pickServers("", kindEcho)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range withPrev(srvs, "/elsewhere") {
		names = append(names, s.name+"@"+s.tree)
	}
	want := "shoal@,shoal-prev@/elsewhere,gnet@,std@"
	if got := strings.Join(names, ","); got != want {
		t.Fatalf("servers %s, want %s", got, want)
	}
}

func TestHandshakeTable(t *testing.T) {
	sc := &scenarioReport{Name: "tls-handshake-resumed", Desc: "resumed", Kind: kindTLS, Handshake: handshakeResumed, Servers: []*serverReport{
		{Server: "shoal-tls", Rounds: []load.Result{{MsgsPerSec: 3000, ServerNsMsg: 100e3, Messages: 9000, Resumed: 8991}}},
		{Server: "std-tls", Rounds: []load.Result{{MsgsPerSec: 2000, ServerNsMsg: 200e3, Messages: 6000, Resumed: 6000}}},
	}}
	for _, s := range sc.Servers {
		s.summarize(false)
	}
	sc.computeRatios(baseFor("shoal", kindTLS))
	var out bytes.Buffer
	writeTable(&out, sc, 1, "5s")
	for _, want := range []string{"handshakes/s", "srv ns/handshake", "100%", "shoal-tls/std-tls: handshakes/s 1.50x", "server CPU per handshake 0.50x"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// A TLS server built from a checkout whose binary lacks its certificate
// flag is skipped, not run and failed.
func TestLacksFlag(t *testing.T) {
	dir := t.TempDir()
	bin := dir + "/srv"
	usage := "#!/bin/sh\necho 'Usage of srv:' >&2\necho '  -addr string' >&2\necho '  -tls-cert string' >&2\necho '    \tPEM file' >&2\nexit 2\n"
	if err := os.WriteFile(bin, []byte(usage), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if lacksFlag(ctx, bin, "-tls-cert") {
		t.Error("-tls-cert reported missing")
	}
	if !lacksFlag(ctx, bin, "-tls-key") || !lacksFlag(ctx, bin, "-tls") {
		t.Error("a flag the usage does not list reported present")
	}
	if lacksFlag(ctx, bin, "") {
		t.Error("no flag to check reported missing")
	}
}

func TestDisturbed(t *testing.T) {
	for _, tt := range []struct {
		other, limit float64
		want         bool
	}{
		{other: 50, limit: 0, want: false},
		{other: 50, limit: 20, want: true},
		{other: 20, limit: 20, want: false},
		{other: 0, limit: 5, want: false},
	} {
		if got := disturbed(load.Result{OtherCPUPercent: tt.other}, tt.limit); got != tt.want {
			t.Errorf("disturbed(other %v, limit %v) = %v, want %v", tt.other, tt.limit, got, tt.want)
		}
	}
}
