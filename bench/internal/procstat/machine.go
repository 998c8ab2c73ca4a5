package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Machine is the CPU time of the whole machine since boot, summed over all
// CPUs, in clock ticks (1/ClockTicks s), from the "cpu" line of /proc/stat.
type Machine struct {
	// Tasks is time spent running tasks: user + nice + system + steal.
	// Interrupt and softirq time, which the kernel charges to no task, is
	// left out so that Tasks minus the CPU of known processes is the time
	// taken by the other processes.
	Tasks uint64
	// Total is every column, idle included.
	Total uint64
}

// Sub returns m minus earlier, field by field.
func (m Machine) Sub(earlier Machine) Machine {
	return Machine{Tasks: m.Tasks - earlier.Tasks, Total: m.Total - earlier.Total}
}

// ReadMachine reads the machine's CPU time from /proc/stat. It is safe to call
// from any goroutine.
func ReadMachine() (Machine, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Machine{}, err
	}
	return ParseMachine(b)
}

// ParseMachine parses the aggregate "cpu" line of a /proc/stat file:
// user nice system idle iowait irq softirq steal [guest guest_nice].
func ParseMachine(b []byte) (Machine, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 || string(f[0]) != "cpu" {
			continue
		}
		if len(f) < 9 {
			return Machine{}, fmt.Errorf("%w: /proc/stat cpu line has %d fields", ErrMalformed, len(f))
		}
		var v [8]uint64
		for i := range v {
			n, err := strconv.ParseUint(string(f[i+1]), 10, 64)
			if err != nil {
				return Machine{}, fmt.Errorf("%w: /proc/stat: %v", ErrMalformed, err)
			}
			v[i] = n
		}
		const user, nice, system, steal = 0, 1, 2, 7
		var m Machine
		m.Tasks = v[user] + v[nice] + v[system] + v[steal]
		for _, n := range v { // guest time is already inside user
			m.Total += n
		}
		return m, nil
	}
	return Machine{}, fmt.Errorf("%w: /proc/stat has no cpu line", ErrMalformed)
}
