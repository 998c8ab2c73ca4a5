package load

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// probeEvery is the shortest interval between RunRoom's probe lines, sent
// until every member has received one (members the server had not yet
// registered missed the earlier ones). A probe is sent only once the
// previous one has come back to connection 0, so that a slow room is never
// flooded with probes.
const probeEvery = 5 * time.Millisecond

// drainPoll is how often RunRoom checks, after the senders stop, whether
// every member has received every line.
const drainPoll = 5 * time.Millisecond

// drainStall ends the drain early when no member has received anything for
// this long: what is still missing is lost, not late.
const drainStall = time.Second

// room is what the member goroutines of one RunRoom share besides stats.
type room struct {
	cfg       Config
	joined    atomic.Int64  // members that have received a probe line
	allJoined chan struct{} // closed by the member that makes joined == Conns
	probeBack atomic.Uint64 // probe lines connection 0 has received back
	started   atomic.Bool   // senders may send; set once, before a last probe wakes them
	stopSend  atomic.Bool   // senders stop; set once after the window
	gaps      atomic.Uint64 // lines skipped on checked members
}

// RunRoom drives a chat room: the server is expected to write every line any
// connection sends to every connection, the sender included. It opens
// cfg.Conns connections (spread over cfg.Sources), sends probe lines until
// every connection has received one (so every member has joined), then lets
// connections 0 to cfg.Senders-1 send cfg.Size-byte lines, each keeping at
// most cfg.Ahead of its own lines unreturned, while every connection reads
// and counts what it receives. After cfg.Warmup it measures deliveries over
// cfg.Duration, then stops the senders, waits for every member to have
// received every line (at most 3 × cfg.Grace, and no longer than a second
// without progress), closes everything and returns what it measured. The senders and cfg.Verify other members check every line
// (format, sender, order); the rest check only that lines stay aligned.
// It returns early with ctx's error if ctx is done, and with an error wrapping
// ErrNotJoined if some connection never receives a probe. Safe to call from
// any goroutine.
func RunRoom(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validateRoom(); err != nil {
		return Result{}, err
	}
	conns, err := dialAll(ctx, cfg, nil)
	if err != nil {
		return Result{}, err
	}
	joinBound := 2 * cfg.DialTimeout
	deadline := time.Now().Add(joinBound + cfg.Warmup + cfg.Duration + 4*cfg.Grace)
	r := &room{cfg: cfg, allJoined: make(chan struct{})}
	st := new(stats)
	members := make([]*member, len(conns))
	verified := 0
	for i, c := range conns {
		_ = c.SetDeadline(deadline)
		members[i] = newMember(i, c, cfg)
		if members[i].next != nil {
			verified++
		}
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() { m.run(r, st) })
	}
	abort := func(err error) (Result, error) {
		st.stop.Store(true)
		closeAll(conns)
		wg.Wait()
		return Result{}, err
	}

	if err := r.probe(ctx, members[0], joinBound); err != nil {
		return abort(err)
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
	if err != nil {
		return abort(err)
	}

	// Stop the senders; a write in progress ends before its sender's count
	// is read.
	r.stopSend.Store(true)
	var total uint64
	for _, m := range members[:cfg.Senders] {
		m.mu.Lock()
		total += m.sent
		m.mu.Unlock()
	}
	if err := r.drain(ctx, members, total); err != nil {
		return abort(err)
	}
	st.stop.Store(true)
	closeAll(conns)
	wg.Wait()

	var missing uint64
	for _, m := range members {
		if got := m.received.Load(); !m.failed.Load() && got < total {
			missing += total - got
		}
	}
	res := Result{
		Conns:      cfg.Conns,
		Size:       cfg.Size,
		Depth:      cfg.Ahead,
		Senders:    cfg.Senders,
		Verified:   verified,
		Messages:   end.msgs - start.msgs,
		P50Micros:  micros(st.hist.Quantile(0.50)),
		P99Micros:  micros(st.hist.Quantile(0.99)),
		BadEchoes:  st.bad.Load(),
		ConnErrors: st.connErrs.Load(),
		FirstError: st.firstError(),
		LinesSent:  total,
		Gaps:       r.gaps.Load(),
		Missing:    missing,
	}
	res.addCPU(start, end, cfg.ServerPID)
	return res, nil
}

// probe writes a probe line from m, each once the previous one has come back
// to m and at most every probeEvery, until every member has received one;
// then it lets the senders go and wakes them with a last probe.
func (r *room) probe(ctx context.Context, m *member, bound time.Duration) error {
	line := make([]byte, r.cfg.Size)
	var seq uint64
	send := func() error {
		putLine(line, lineProbe, 0, seq)
		seq++
		_, err := m.conn.Write(line)
		return err
	}
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	limit := time.NewTimer(bound)
	defer limit.Stop()
	for waiting := true; waiting; {
		if r.probeBack.Load() == seq {
			if err := send(); err != nil {
				return fmt.Errorf("load: probe: %w", err)
			}
		}
		select {
		case <-r.allJoined:
			waiting = false
		case <-tick.C:
		case <-limit.C:
			return fmt.Errorf("%w: %d of %d members received a probe line within %s",
				ErrNotJoined, r.joined.Load(), r.cfg.Conns, bound)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// Every member now reads this last probe; the senders see started when
	// they do, even those that had nothing else to read.
	r.started.Store(true)
	if err := send(); err != nil {
		return fmt.Errorf("load: probe: %w", err)
	}
	return nil
}

// drain waits until every member still connected has received total lines,
// for at most three grace periods, and less if no member receives anything
// for drainStall; a member that has not is counted as missing lines by the
// caller.
func (r *room) drain(ctx context.Context, members []*member, total uint64) error {
	limit := time.Now().Add(3 * r.cfg.Grace)
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	var last uint64 // lines received by all members at the last progress
	lastAt := time.Now()
	for {
		done, sum := true, uint64(0)
		for _, m := range members {
			got := m.received.Load()
			sum += got
			done = done && (m.failed.Load() || got >= total)
		}
		now := time.Now()
		if sum != last {
			last, lastAt = sum, now
		}
		if done || now.After(limit) || now.Sub(lastAt) > drainStall {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// member drives one connection of a room: it reads and counts lines, checks
// them if it is a checked member, and sends if it is a sender. Every field
// but received, failed and the ones under mu is owned by its goroutine.
type member struct {
	conn     *net.TCPConn
	size     int           // bytes per line
	senders  int           // lines come from senders 0..senders-1
	sid      int           // this member's sender index, or -1
	rbuf     []byte        // received bytes not yet handled are rbuf[:have]
	have     int           // bytes held in rbuf
	joined   bool          // has received a probe line
	next     []uint64      // checked members: next sequence number per sender; nil otherwise
	acked    uint64        // senders: own lines received back
	stamps   []int64       // senders: send time of own line seq at stamps[seq%ahead]
	received atomic.Uint64 // real lines received; read by RunRoom while draining
	failed   atomic.Bool   // set when the connection fails before the run stops

	mu   sync.Mutex // senders: held across a write, so RunRoom can read sent after stopSend
	sent uint64     // senders: lines written; guarded by mu
	wbuf []byte     // senders: ahead lines, rewritten for each write
}

// newMember prepares the buffers of connection i. It allocates; the
// per-line methods do not.
func newMember(i int, c *net.TCPConn, cfg Config) *member {
	// Big reads keep the reading cheap; 64 MiB in all bounds the memory of
	// 10 000 members.
	lines := max(1, min(64<<10, max(4<<10, (64<<20)/cfg.Conns))/cfg.Size)
	m := &member{conn: c, size: cfg.Size, senders: cfg.Senders, sid: -1, rbuf: make([]byte, lines*cfg.Size)}
	if i < cfg.Senders {
		m.sid = i
		m.stamps = make([]int64, cfg.Ahead)
		m.wbuf = make([]byte, cfg.Ahead*cfg.Size)
	}
	others := cfg.Conns - cfg.Senders
	step := max(1, others/max(1, cfg.Verify))
	if k := i - cfg.Senders; m.sid >= 0 || (k%step == 0 && k/step < cfg.Verify) {
		m.next = make([]uint64, cfg.Senders)
	}
	return m
}

// run reads until the connection fails or the run stops, and sends whenever
// this is a sender, the room has started and its window allows.
func (m *member) run(r *room, st *stats) {
	for {
		err := m.receive(r, st)
		if err != nil {
			if !st.stop.Load() {
				m.failed.Store(true)
			}
			st.fail(err)
			return
		}
		if m.sid >= 0 && r.started.Load() {
			if err := m.send(r); err != nil {
				if !st.stop.Load() {
					m.failed.Store(true)
				}
				st.fail(err)
				return
			}
		}
	}
}

// send writes as many new lines as the Ahead window allows, in one write,
// unless the senders have been stopped.
func (m *member) send(r *room) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := r.cfg.Ahead - int(m.sent-m.acked)
	if n <= 0 || r.stopSend.Load() {
		return nil
	}
	t := nanotime()
	for k := range n {
		putLine(m.wbuf[k*m.size:(k+1)*m.size], lineReal, m.sid, m.sent)
		m.stamps[m.sent%uint64(len(m.stamps))] = t
		m.sent++
	}
	_, err := m.conn.Write(m.wbuf[:n*m.size])
	return err
}

// receive reads what is available and handles every complete line.
func (m *member) receive(r *room, st *stats) error {
	n, err := m.conn.Read(m.rbuf[m.have:])
	m.have += n
	full := m.have / m.size
	if full == 0 {
		return err
	}
	var real uint64
	if m.next != nil {
		real = m.check(r, st, full)
	} else {
		real = m.count(r, st, full)
	}
	if real > 0 {
		m.received.Add(real)
		st.msgs.Add(real)
	}
	used := full * m.size
	m.have = copy(m.rbuf, m.rbuf[used:m.have])
	return err
}

// count handles full lines of an unchecked member: it checks only that each
// ends in '\n' where a line should, and counts the real ones.
func (m *member) count(r *room, st *stats, full int) (real uint64) {
	for k := range full {
		line := m.rbuf[k*m.size : (k+1)*m.size]
		if line[m.size-1] != '\n' {
			st.bad.Add(1)
		}
		if line[0] == lineProbe {
			m.join(r)
			continue
		}
		real++
	}
	return real
}

// check handles full lines of a checked member: every line must be
// well-formed, and each sender's lines must come in order; a jump forward
// counts as gaps. A sender also takes its own lines' round trips.
func (m *member) check(r *room, st *stats, full int) (real uint64) {
	t := nanotime()
	measuring := st.measuring.Load()
	for k := range full {
		kind, sid, seq, ok := parseLine(m.rbuf[k*m.size:(k+1)*m.size], m.senders)
		switch {
		case !ok:
			st.bad.Add(1)
			continue
		case kind == lineProbe:
			m.join(r)
			if m.sid == 0 {
				r.probeBack.Store(seq + 1)
			}
			continue
		}
		real++
		switch want := m.next[sid]; {
		case seq > want:
			r.gaps.Add(seq - want)
		case seq < want:
			st.bad.Add(1) // repeated or reordered
			continue
		}
		m.next[sid] = seq + 1
		if sid == m.sid {
			m.acked = seq + 1
			if measuring {
				st.hist.Record(time.Duration(t - m.stamps[seq%uint64(len(m.stamps))]))
			}
		}
	}
	return real
}

// join records this member's first probe line.
func (m *member) join(r *room) {
	if m.joined {
		return
	}
	m.joined = true
	if r.joined.Add(1) == int64(r.cfg.Conns) {
		close(r.allJoined)
	}
}
