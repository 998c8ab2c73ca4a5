package load

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"
)

// tlsHandshake runs a TLS client handshake with cfg over c, within timeout,
// and returns the TLS connection; c's deadline is left at the handshake's.
// It allocates; it runs once per connection, before any message.
func tlsHandshake(c *net.TCPConn, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	tc := tls.Client(c, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLSHandshake, err)
	}
	return tc, nil
}

// handshakeConfig returns the client configuration of RunHandshakes: cfg's
// (see Config.tlsConfig), with a session cache shared by every worker when
// cfg.Resume, and with session tickets off otherwise, so that the client
// offers no ticket and asks for none (a TLS 1.3 server then sends none).
func (cfg Config) handshakeConfig() *tls.Config {
	tc := cfg.tlsConfig().Clone()
	if cfg.Resume {
		tc.SessionTicketsDisabled = false
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	} else {
		tc.SessionTicketsDisabled = true
		tc.ClientSessionCache = nil
	}
	return tc
}

// RunHandshakes measures the server's rate of TLS handshakes: cfg.Conns
// workers each open a connection (from cfg.Sources in turn), run a TLS
// handshake, echo one cfg.Size-byte message over it (which checks that the
// server finished its side, and brings the client the session tickets the
// server sends after a TLS 1.3 handshake), close it with a reset and start
// over, for cfg.Warmup and then the measured window cfg.Duration. Messages
// counts the handshakes completed (echo included) in the window, Resumed
// those of them that resumed a session (cfg.Resume), the latency histogram
// times each from the dial to the echo's return. A failed connection is
// counted in ConnErrors and its worker goes on after 10 ms. cfg.Proto must
// be ProtoTLS (or ""). Safe to call from any goroutine.
func RunHandshakes(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Proto == "" {
		cfg.Proto = ProtoTLS
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	if cfg.Proto != ProtoTLS {
		return Result{}, fmt.Errorf("%w: RunHandshakes speaks %q only", ErrBadConfig, ProtoTLS)
	}
	tc := cfg.handshakeConfig()
	dialers := make([]net.Dialer, max(len(cfg.Sources), 1))
	for i := range dialers {
		dialers[i].Timeout = cfg.DialTimeout
		if len(cfg.Sources) > 0 {
			dialers[i].LocalAddr = &net.TCPAddr{IP: cfg.Sources[i].AsSlice()}
		}
	}

	st := new(stats)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := range cfg.Conns {
		cl := newClient(w, nil, cfg.Size, 1)
		wg.Go(func() {
			for n := w; !st.stop.Load(); n += cfg.Conns {
				if err := cl.handshakeOnce(runCtx, &dialers[n%len(dialers)], cfg, tc, st); err != nil {
					st.fail(err)
					if sleep(runCtx, 10*time.Millisecond) != nil {
						return
					}
				}
			}
		})
	}
	abort := func(err error) (Result, error) {
		st.stop.Store(true)
		cancel()
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
	wg.Wait() // each worker ends the connection it is on; its deadline bounds it

	res := Result{
		Proto:      cfg.Proto,
		Conns:      cfg.Conns,
		Size:       cfg.Size,
		Depth:      1,
		Resume:     cfg.Resume,
		Messages:   end.msgs - start.msgs,
		Resumed:    end.resumed - start.resumed,
		P50Micros:  micros(st.hist.Quantile(0.50)),
		P99Micros:  micros(st.hist.Quantile(0.99)),
		BadEchoes:  st.bad.Load(),
		ConnErrors: st.connErrs.Load(),
		FirstError: st.firstError(),
	}
	res.addCPU(start, end, cfg.ServerPID)
	return res, nil
}

// handshakeOnce is one connection of RunHandshakes: dial, handshake, one
// echo, close with a reset; the whole within cfg.DialTimeout. It counts the
// connection in st once its echo is back.
func (c *client) handshakeOnce(ctx context.Context, d *net.Dialer, cfg Config, tc *tls.Config, st *stats) error {
	t0 := nanotime()
	raw, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return err
	}
	tcp := raw.(*net.TCPConn)
	defer func() {
		_ = tcp.SetLinger(0) // a reset: no TIME_WAIT holds the port
		_ = tcp.Close()
	}()
	conn, err := tlsHandshake(tcp, tc, cfg.DialTimeout)
	if err != nil {
		return err
	}
	c.conn = conn
	_, ok, err := c.roundTrip()
	c.conn = nil
	if err != nil {
		return err
	}
	if !ok {
		st.bad.Add(1)
	}
	if conn.ConnectionState().DidResume {
		st.resumed.Add(1)
	}
	st.msgs.Add(1)
	if st.measuring.Load() {
		st.hist.Record(time.Duration(nanotime() - t0))
	}
	return nil
}
