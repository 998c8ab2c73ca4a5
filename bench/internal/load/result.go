package load

// Result is what one run measured. Throughput and latency fields come from
// Run; the memory fields from RunIdle. Durations are in the unit their name
// says so that the JSON needs no parsing.
type Result struct {
	// Proto is the protocol the connections spoke: ProtoTCP, ProtoWS or
	// ProtoTLS.
	Proto string `json:"proto,omitempty"`
	Conns int    `json:"conns"`
	Size  int    `json:"size"`
	Depth int    `json:"depth"`

	// Messages is the number of echoes received in the measured window;
	// WindowSec its measured length; MsgsPerSec their ratio.
	Messages   uint64  `json:"messages"`
	WindowSec  float64 `json:"window_sec"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	// P50Micros and P99Micros are round-trip latency percentiles of the
	// messages completed in the window: send to complete echo, per message.
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`

	// BadEchoes counts echoes, over the whole run, that differ from what was
	// sent; ConnErrors counts connections that failed before the run ended,
	// FirstError says why the first did.
	BadEchoes  uint64 `json:"bad_echoes"`
	ConnErrors uint64 `json:"conn_errors"`
	FirstError string `json:"first_error,omitempty"`

	// Server CPU over the window, from /proc/ServerPID/stat, in clock ticks
	// (10 ms), and per message in nanoseconds: ticks × 10 ms / Messages.
	ServerUserTicks  uint64  `json:"server_user_ticks"`
	ServerSysTicks   uint64  `json:"server_sys_ticks"`
	ServerUserNsMsg  float64 `json:"server_user_ns_per_msg"`
	ServerSysNsMsg   float64 `json:"server_sys_ns_per_msg"`
	ServerNsMsg      float64 `json:"server_ns_per_msg"`
	ServerCPUPercent float64 `json:"server_cpu_percent"`
	LoadCPUPercent   float64 `json:"load_cpu_percent"`
	// OtherCPUPercent is the CPU that every other process on the machine
	// used during the window (machine task time minus server and load
	// generator), in percent of one CPU: a run with much of it was disturbed.
	OtherCPUPercent   float64 `json:"other_cpu_percent"`
	ServerCPUMeasured bool    `json:"server_cpu_measured"`

	// RSS of the server before the connections were opened and after each
	// had echoed one message, in bytes, and their difference per connection.
	RSSBefore    uint64  `json:"rss_before"`
	RSSAfter     uint64  `json:"rss_after"`
	BytesPerConn float64 `json:"bytes_per_conn"`

	// Handshake runs (RunHandshakes): Conns is the number of workers,
	// Messages counts handshakes (each with one echo) in the window,
	// P50Micros/P99Micros time a connection from its dial to its echo.
	// Resume says whether the client kept a session cache; Resumed counts
	// the handshakes of the window that resumed a session.
	Resume  bool   `json:"resume,omitempty"`
	Resumed uint64 `json:"resumed,omitempty"`

	// Room runs (RunRoom): Messages counts deliveries (a line read by one
	// member), P50Micros/P99Micros time a sender's line until it reads it
	// back, BadEchoes counts malformed, unknown, repeated or reordered lines
	// on the checked members.
	Senders int `json:"senders,omitempty"`
	// Verified is the number of members whose every line was checked.
	Verified int `json:"verified,omitempty"`
	// LinesSent is the number of lines the senders wrote over the whole run.
	LinesSent uint64 `json:"lines_sent,omitempty"`
	// Gaps counts lines a checked member skipped: a sender's sequence number
	// jumped forward.
	Gaps uint64 `json:"gaps,omitempty"`
	// Missing counts deliveries still owed at the end: for every member still
	// connected, lines sent by anyone that it had not received when the
	// drain after the window ended.
	Missing uint64 `json:"missing,omitempty"`
}
