package main

import (
	"fmt"
	"syscall"
)

// fdHeadroom is what a process needs besides one file per connection: the
// listener, epoll and event fds, standard streams, /proc reads.
const fdHeadroom = 256

// withinFileLimit returns scs without the room scenarios whose connections
// do not fit under the hard limit on open files (RLIMIT_NOFILE) that the
// server and the load generator inherit; Go raises each process's soft
// limit to the hard one. It prints why a scenario is left out.
func withinFileLimit(scs []scenario) []scenario {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return scs
	}
	var out []scenario
	for _, sc := range scs {
		if sc.kind == kindRoom && uint64(sc.conns)+fdHeadroom > lim.Max {
			fmt.Printf("SKIPPED %s: %d connections need %d open files per process, the limit is %d\n",
				sc.name, sc.conns, sc.conns+fdHeadroom, lim.Max)
			continue
		}
		out = append(out, sc)
	}
	return out
}
