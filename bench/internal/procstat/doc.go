// Package procstat reads a process's CPU time and resident memory, and the
// machine's CPU time, from Linux's /proc file system.
//
// It owns the parsing of /proc/PID/stat, /proc/PID/smaps_rollup,
// /proc/PID/status and the machine-wide /proc/stat. It must not know what the process is or why it is being
// measured: it knows no servers, scenarios or load.
package procstat
