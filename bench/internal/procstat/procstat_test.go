package procstat

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    CPU
		wantErr error
	}{
		{
			name: "plain command",
			in:   "1234 (echo) S 1 1234 1234 0 -1 4194560 300 0 0 0 17 4 0 0 20 0 3 0 100 1000 200 18446744073709551615",
			want: CPU{User: 17, System: 4},
		},
		{
			name: "command with spaces and parentheses",
			in:   "99 (a (b) c) R 1 99 99 0 -1 0 0 0 0 0 250 125 0 0 20 0 1 0 5 6 7",
			want: CPU{User: 250, System: 125},
		},
		{name: "no command", in: "99 R 1 2 3", wantErr: ErrMalformed},
		{name: "too short", in: "99 (x) R 1 2 3", wantErr: ErrMalformed},
		{name: "not a number", in: "1 (x) S 1 1 1 0 -1 0 0 0 0 0 ab 4 0", wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCPUDurations(t *testing.T) {
	c := CPU{User: 250, System: 50}.Sub(CPU{User: 50, System: 25})
	if c.UserTime() != 2*time.Second || c.SystemTime() != 250*time.Millisecond || c.Total() != 2250*time.Millisecond {
		t.Fatalf("got user %v system %v total %v", c.UserTime(), c.SystemTime(), c.Total())
	}
}

func TestParseKB(t *testing.T) {
	const rollup = `55d0c0a00000-7ffd4d3f1000 ---p 00000000 00:00 0                  [rollup]
Rss:                3460 kB
Pss:                 812 kB
`
	const status = `Name:	echo
VmPeak:	  712000 kB
VmRSS:	    7800 kB
Threads:	5
`
	tests := []struct {
		name    string
		in, key string
		want    uint64
		wantErr error
	}{
		{name: "smaps_rollup", in: rollup, key: "Rss:", want: 3460 * 1024},
		{name: "status", in: status, key: "VmRSS:", want: 7800 * 1024},
		{name: "missing", in: status, key: "Rss:", wantErr: ErrNoRSS},
		{name: "bad unit", in: "Rss: 12 MB\n", key: "Rss:", wantErr: ErrMalformed},
		{name: "bad number", in: "Rss: x kB\n", key: "Rss:", wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKB([]byte(tt.in), tt.key)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestReadSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	if _, err := ReadCPU(os.Getpid()); err != nil {
		t.Fatalf("ReadCPU: %v", err)
	}
	rss, err := ReadRSS(os.Getpid())
	if err != nil {
		t.Fatalf("ReadRSS: %v", err)
	}
	if rss == 0 {
		t.Fatal("RSS of a running process is 0")
	}
}

func TestParseMachine(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Machine
		wantErr error
	}{
		{
			name: "aggregate line first",
			in:   "cpu  100 5 50 1000 7 3 11 2 0 0\ncpu0 50 5 25 500 3 1 5 1 0 0\nintr 1 2 3\n",
			want: Machine{Tasks: 100 + 5 + 50 + 2, Total: 100 + 5 + 50 + 1000 + 7 + 3 + 11 + 2},
		},
		{name: "no cpu line", in: "intr 1 2\n", wantErr: ErrMalformed},
		{name: "short line", in: "cpu 1 2 3\n", wantErr: ErrMalformed},
		{name: "garbage", in: "cpu 1 2 x 4 5 6 7 8\n", wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMachine([]byte(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
