package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ClockTicks is the unit of utime and stime in /proc/PID/stat: sysconf(_SC_CLK_TCK),
// which Linux fixes at 100 (USER_HZ) for user space on every architecture Go
// supports.
const ClockTicks = 100

// CPU is the CPU time a process has used since it started, in clock ticks
// (1/ClockTicks s), summed over all its threads.
type CPU struct {
	User   uint64 // utime, field 14 of /proc/PID/stat
	System uint64 // stime, field 15 of /proc/PID/stat
}

// Sub returns c minus earlier, field by field.
func (c CPU) Sub(earlier CPU) CPU {
	return CPU{User: c.User - earlier.User, System: c.System - earlier.System}
}

// UserTime returns the user time as a duration.
func (c CPU) UserTime() time.Duration { return ticks(c.User) }

// SystemTime returns the system time as a duration.
func (c CPU) SystemTime() time.Duration { return ticks(c.System) }

// Total returns user plus system time as a duration.
func (c CPU) Total() time.Duration { return ticks(c.User + c.System) }

func ticks(n uint64) time.Duration {
	return time.Duration(n) * (time.Second / ClockTicks)
}

// ReadCPU reads the CPU time of process pid from /proc/pid/stat.
// It is safe to call from any goroutine.
func ReadCPU(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, err
	}
	return ParseStat(b)
}

// ParseStat parses the contents of a /proc/PID/stat file. The command name
// (field 2) may hold spaces and parentheses, so fields are counted from the
// last ')'.
func ParseStat(b []byte) (CPU, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return CPU{}, fmt.Errorf("%w: stat has no command name", ErrMalformed)
	}
	// After ") " come fields 3 (state), 4, ...; utime is field 14, stime 15.
	fields := bytes.Fields(b[end+1:])
	const utimeIdx, stimeIdx = 14 - 3, 15 - 3
	if len(fields) <= stimeIdx {
		return CPU{}, fmt.Errorf("%w: stat has %d fields after the command name", ErrMalformed, len(fields))
	}
	u, err := strconv.ParseUint(string(fields[utimeIdx]), 10, 64)
	if err != nil {
		return CPU{}, fmt.Errorf("%w: utime: %v", ErrMalformed, err)
	}
	s, err := strconv.ParseUint(string(fields[stimeIdx]), 10, 64)
	if err != nil {
		return CPU{}, fmt.Errorf("%w: stime: %v", ErrMalformed, err)
	}
	return CPU{User: u, System: s}, nil
}
