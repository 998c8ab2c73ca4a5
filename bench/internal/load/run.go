package load

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/shoalrt/shoal/bench/internal/procstat"
)

// Run opens cfg.Conns connections to cfg.Addr (upgrading each with a
// WebSocket handshake for ProtoWS, a TLS handshake for ProtoTLS), drives each from its own goroutine
// (ping-pong for Depth 1, pipelined above) for cfg.Warmup, then
// measures for cfg.Duration, stops, closes every connection and returns what
// it measured. It returns early with ctx's error if ctx is done, and with an
// error if the connections cannot all be opened or the server's /proc entry
// cannot be read. Run may be called from any goroutine; concurrent runs share
// nothing but the CPU.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	opened := make([]net.Conn, cfg.Conns) // what the clients speak over: conns[i] or TLS over it
	conns, err := dialAll(ctx, cfg, func(i int, c *net.TCPConn) (err error) {
		opened[i], err = cfg.open(c)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	deadline := time.Now().Add(cfg.Warmup + cfg.Duration + cfg.Grace)
	st := new(stats)
	var wg sync.WaitGroup
	for i, c := range conns {
		_ = c.SetDeadline(deadline)
		switch {
		case cfg.Proto == ProtoWS:
			cl := newWSClient(i, c, cfg.Size, cfg.Depth)
			wg.Go(func() { cl.run(st) })
		case cfg.Depth == 1:
			cl := newClient(i, opened[i], cfg.Size, cfg.Depth)
			wg.Go(func() { cl.runPingPong(st) })
		default:
			cl := newClient(i, opened[i], cfg.Size, cfg.Depth)
			wg.Go(func() { cl.runPipeline(st) })
		}
	}
	// abort ends the run early: stop the goroutines, unblock them, wait.
	abort := func(err error) (Result, error) {
		st.stop.Store(true)
		closeAll(conns)
		wg.Wait()
		return Result{}, err
	}

	if err := sleep(ctx, cfg.Warmup); err != nil {
		return abort(err)
	}
	st.measuring.Store(true)
	start, err := takeSnapshot(st, cfg.ServerPID)
	if err != nil {
		return abort(err)
	}
	if err := sleep(ctx, cfg.Duration); err != nil {
		return abort(err)
	}
	end, err := takeSnapshot(st, cfg.ServerPID)
	st.measuring.Store(false)
	st.stop.Store(true)
	if err != nil {
		return abort(err)
	}
	// Every goroutine finishes the exchange it is in; the deadline bounds it.
	wg.Wait()
	closeAll(conns)

	res := Result{
		Proto:      cfg.Proto,
		Conns:      cfg.Conns,
		Size:       cfg.Size,
		Depth:      cfg.Depth,
		Messages:   end.msgs - start.msgs,
		P50Micros:  micros(st.hist.Quantile(0.50)),
		P99Micros:  micros(st.hist.Quantile(0.99)),
		BadEchoes:  st.bad.Load(),
		ConnErrors: st.connErrs.Load(),
		FirstError: st.firstError(),
	}
	res.addCPU(start, end, cfg.ServerPID)
	return res, nil
}

// open runs the handshake of cfg's protocol on a new connection and returns
// what to send messages over: c itself for ProtoTCP and ProtoWS (after the
// WebSocket handshake), a *tls.Conn over c, its handshake done, for
// ProtoTLS. The handshake must end within cfg.DialTimeout; c's deadline is
// left set to that.
func (cfg Config) open(c *net.TCPConn) (net.Conn, error) {
	switch cfg.Proto {
	case ProtoWS:
		return c, wsHandshake(c, cfg.Addr, cfg.DialTimeout)
	case ProtoTLS:
		return tlsHandshake(c, cfg.tlsConfig(), cfg.DialTimeout)
	}
	return c, nil
}

// addCPU fills r's rates and CPU figures from the snapshots at the edges of
// the window; r.Messages must be set. The server's are filled if pid > 0.
func (r *Result) addCPU(start, end snapshot, pid int) {
	r.WindowSec = end.at.Sub(start.at).Seconds()
	if r.WindowSec > 0 {
		r.MsgsPerSec = float64(r.Messages) / r.WindowSec
		r.LoadCPUPercent = 100 * (end.self - start.self).Seconds() / r.WindowSec
	}
	if pid <= 0 {
		return
	}
	cpu := end.server.Sub(start.server)
	if r.WindowSec > 0 && end.mach.Total > 0 {
		tasks := time.Duration(end.mach.Sub(start.mach).Tasks) * (time.Second / procstat.ClockTicks)
		other := tasks - cpu.Total() - (end.self - start.self)
		r.OtherCPUPercent = max(0, 100*other.Seconds()/r.WindowSec)
	}
	r.ServerCPUMeasured = true
	r.ServerUserTicks, r.ServerSysTicks = cpu.User, cpu.System
	if r.WindowSec > 0 {
		r.ServerCPUPercent = 100 * cpu.Total().Seconds() / r.WindowSec
	}
	if r.Messages > 0 {
		n := float64(r.Messages)
		r.ServerUserNsMsg = float64(cpu.UserTime().Nanoseconds()) / n
		r.ServerSysNsMsg = float64(cpu.SystemTime().Nanoseconds()) / n
		r.ServerNsMsg = float64(cpu.Total().Nanoseconds()) / n
	}
}

// snapshot is the state at one edge of the measured window.
type snapshot struct {
	at      time.Time
	msgs    uint64        // echoes (RunHandshakes: handshakes) completed so far
	resumed uint64        // RunHandshakes: resumed handshakes so far
	server  procstat.CPU  // server's CPU time so far, if a PID was given
	self    time.Duration // this process's user+system time so far
	mach    procstat.Machine
}

// takeSnapshot reads the counters, the server's CPU time (if pid > 0) and
// this process's own CPU time.
func takeSnapshot(st *stats, pid int) (snapshot, error) {
	s := snapshot{at: time.Now(), msgs: st.msgs.Load(), resumed: st.resumed.Load()}
	if pid > 0 {
		cpu, err := procstat.ReadCPU(pid)
		if err != nil {
			return s, fmt.Errorf("load: server CPU: %w", err)
		}
		s.server = cpu
	}
	if m, err := procstat.ReadMachine(); err == nil {
		s.mach = m
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s, nil
}

// sleep waits for d or until ctx is done, and returns ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
