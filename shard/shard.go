package shard

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/mailbox"
	"github.com/shoalrt/shoal/reactor"
	"golang.org/x/sys/unix"
)

// Poller tokens. A connection's token is slot<<32 | generation, so an event
// left over from a closed socket never reaches the slot's next occupant.
const (
	wakerToken  = ^uint64(0)
	listenToken = uint64(1) << 63 // | listener index
)

func connToken(c *Conn) uint64 { return uint64(c.slot)<<32 | uint64(c.gen) }

// Shard is one event loop: a goroutine that owns a poller, a table of
// connections and actors, an inbox, and their buffers. Every method documented
// "shard goroutine only" must be called from the shard's Handler.
type Shard struct {
	// Cold: set up once.
	set   *Set
	h     Handler
	index int
	node  int

	// Hot: touched every turn, only by the shard goroutine.
	poller  *reactor.Poller
	events  []reactor.Ready
	inbox   *mailbox.Inbox[envelope]
	local   mailbox.Queue[envelope]   // same-shard sends, drained each turn
	outbox  []mailbox.Queue[envelope] // per target shard: sends not yet published into its inbox
	outboxN int                       // envelopes across retry
	// quickLen: below this length an outbox takes one more envelope without
	// reaching its bound (MaxRetry) or a full batch (outboxBatch), so a send
	// only appends.
	quickLen int
	table    table
	readBuf  []byte
	scratch  []byte // Marshal output before framing
	bye      []byte // a stream's last bytes (Goodbye) before they are queued
	pool     bufferPool
	dirty    []*Conn         // connections with bytes to flush or a close to finish
	box      frameBox        // []byte frames
	textBox  frameBox        // codec.Text frames
	streams  []streamSlot    // stream state by slot, for connections of stream codecs
	deliver  func(*envelope) // s.handle, bound once so draining allocates nothing
	timers   timerQueue
	fire     func(to uint64, msg any) bool // s.fireTimer, bound once

	closing   map[int32]error               // reason of each connection that flushes before it closes
	lingering map[int32]TimerID             // close deadline of each closing connection whose peer is not taking its last bytes
	clock     uint32                        // ms since the timers' epoch, updated each turn while idle checks run
	idleEvery time.Duration                 // period of the idle sweep; 0 while none runs
	idleTimer TimerID                       // the idle sweep's timer
	groups    map[string]*members           // local members of each group with any here
	joined    map[int32][]string            // groups each slot joined, for leaving on close
	fanout    []uint64                      // scratch copy of a group's members during a publish
	fanPos    int                           // the member publishLocal is delivering to, for its recover
	peers     map[int32]*peer               // datagram peers by slot
	dgram     []byte                        // scratch for framing a datagram
	iov       [][]byte                      // scratch: the parts of one writev
	iovecs    [reactor.MaxIovecs]unix.Iovec // scratch for writev
	listeners []*shardListener              // sockets this shard serves (ReusePort, UDP); nil once closed
	pollLog   logLimit                      // records of poller errors
	stopping  bool                          // began the graceful stop
	busy      bool                          // the last poll reported ready descriptors
	tlss      []*tlsState                   // TLS state by slot, for TLS connections
	plainBuf  []byte                        // scratch: plaintext out of crypto/tls
	hsActive  int                           // TLS handshakes of this shard running now
	hsMax     int                           // at most this many at once (Config.MaxHandshakes over the shards)
	hsWait    []uint64                      // connections waiting for a handshake place, in order

	// Shared with other goroutines.
	waker  *safeWaker
	stopAt atomic.Bool   // the set asked for a graceful stop
	force  atomic.Bool   // the set's deadline passed: close everything now
	conns  atomic.Int64  // open connections, read by the least-connections balancer
	actors atomic.Int64  // spawned actors
	done   chan struct{} // closed when the loop has exited and released its fds
	stats  counters
	hot    hotCounters // shard goroutine only; see publishStats
}

// safeWaker guards the eventfd against a Wake racing with the shard's exit,
// which closes it: a write to a closed (and maybe reused) descriptor would land
// in someone else's file. Wakes are rare (at most one per sleep), so a read
// lock there costs nothing measurable.
type safeWaker struct {
	mu     sync.RWMutex
	w      *reactor.Waker
	closed bool
}

func (w *safeWaker) Wake() {
	w.mu.RLock()
	if !w.closed {
		_ = w.w.Wake()
	}
	w.mu.RUnlock()
}

func (w *safeWaker) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		_ = w.w.Close()
	}
	w.mu.Unlock()
}

// Index returns the shard's position in its set.
func (s *Shard) Index() int { return s.index }

// Addr returns the address of c's current occupant.
func (s *Shard) Addr(c *Conn) uint64 { return MakeAddr(s.node, s.index, int(c.slot), c.gen) }

// CopyFrame returns v, or a copy of it if it is a []byte or codec.Text that
// shares memory with the frame being delivered, which is valid only during
// the Receive call that delivered it and must be copied before it is kept or
// sent. Shard goroutine only.
func (s *Shard) CopyFrame(v any) any {
	switch p := v.(type) {
	case []byte:
		if s.box.aliases(v) {
			return append([]byte(nil), p...)
		}
	case codec.Text:
		if s.textBox.aliases(v) {
			return codec.Text(append([]byte(nil), p...))
		}
	}
	return v
}

func newShard(set *Set, index int) (*Shard, error) {
	p, err := reactor.NewPoller()
	if err != nil {
		return nil, err
	}
	w, err := reactor.NewWaker()
	if err != nil {
		p.Close()
		return nil, err
	}
	if err := p.AddWaker(w, wakerToken); err != nil {
		w.Close()
		p.Close()
		return nil, err
	}
	s := &Shard{
		set:       set,
		index:     index,
		node:      set.cfg.Node,
		poller:    p,
		events:    make([]reactor.Ready, 1024),
		outbox:    make([]mailbox.Queue[envelope], set.cfg.Shards),
		quickLen:  min(outboxBatch, set.cfg.MaxRetry) - 1,
		readBuf:   make([]byte, set.cfg.ReadBufferSize),
		box:       newFrameBox([]byte(nil)),
		textBox:   newFrameBox(codec.Text(nil)),
		closing:   make(map[int32]error),
		lingering: make(map[int32]TimerID),
		groups:    make(map[string]*members),
		joined:    make(map[int32][]string),
		peers:     make(map[int32]*peer),
		waker:     &safeWaker{w: w},
		done:      make(chan struct{}),
	}
	s.inbox, err = mailbox.NewInbox[envelope](set.cfg.InboxSize, s.waker)
	if err != nil {
		w.Close()
		p.Close()
		return nil, err
	}
	s.deliver = s.handle
	s.fire = s.fireTimer
	return s, nil
}

// run is the shard's loop: poll → I/O → inbox → local queue → retries → flush,
// until a graceful stop has closed every connection or the set forces it.
func (s *Shard) run() {
	labelShardLoop(s.index)
	defer exitLoop(enterLoop())
	defer s.exit()
	for {
		n, err := s.poller.Wait(s.events, s.timeout())
		s.inbox.Awake()
		s.busy = n > 0
		if s.idleEvery > 0 {
			s.clock = uint32(s.timers.now() / int64(time.Millisecond))
		}
		if err != nil {
			s.stats.pollErrors.Add(1)
			s.set.logPollError(s.index, &s.pollLog, err)
		}
		for i := 0; i < n; i++ {
			s.event(s.events[i])
		}
		s.drain()
		s.timers.expire(s.fire)
		s.flush()
		if s.outboxN > 0 {
			s.publishOutboxes()
		}
		s.publishStats()
		if s.force.Load() {
			s.abortAll()
			return
		}
		if s.stopAt.Load() && !s.stopping {
			s.beginStop()
			s.flush()
		}
		if s.stopping && s.table.live == 0 {
			return
		}
	}
}

// timeout decides how long the next poll may block: not at all while work is
// queued; otherwise until the next deadline (or forever) after announcing
// sleep.
//
// Why no wake-up is lost: the shard stores "sleeping" (seq-cst) and only then
// re-checks its inbox; a producer commits its envelope and only then loads the
// flag. Either the shard's re-check sees the envelope (and it polls without
// blocking), or the producer's load sees "sleeping" and writes the eventfd,
// which makes the blocking poll return. Stop requests write the eventfd
// unconditionally.
func (s *Shard) timeout() int {
	if s.local.Len() > 0 || s.outboxN > 0 {
		return 0
	}
	if s.busy {
		// Sockets were ready last turn: look again without blocking (a raw
		// system call) before paying for a sleep and a wake-up. Under load
		// the peers' next messages are often already there. Let other
		// goroutines of this P run first, as a blocking poll would.
		runtime.Gosched()
		return 0
	}
	s.inbox.Announce()
	if !s.inbox.Empty() || s.stopAt.Load() != s.stopping || s.force.Load() {
		s.inbox.Awake()
		return 0
	}
	return s.deadline()
}

// event handles one ready descriptor.
func (s *Shard) event(r reactor.Ready) {
	switch {
	case r.Token == wakerToken:
		return
	case r.Token&listenToken != 0:
		s.acceptReady(int(r.Token &^ listenToken))
		return
	}
	c := s.table.lookup(int(r.Token>>32), uint32(r.Token))
	if c == nil || c.fd < 0 {
		return // stale: the slot's occupant has changed since the poll
	}
	if c.state == stateClosing {
		s.flushConn(c) // writable, or an error that ends the flush
		return
	}
	if r.Events&reactor.Writable != 0 && c.flags&flagWantWrite != 0 {
		s.flushConn(c)
	}
	if c.state == stateOpen && r.Events&(reactor.Readable|reactor.HangUp|reactor.Error) != 0 {
		s.read(c)
		// Answer the peer now rather than at the end of the turn: everything
		// this read produced for it still goes out in one write, and the
		// peer's next request arrives sooner, so later polls find more work.
		// Writes to other connections still wait for the end of the turn.
		if (c.out != nil || c.flags&flagTLS != 0) && c.flags&flagWantWrite == 0 && c.state == stateOpen {
			s.flushConn(c)
		}
	}
}

// drain delivers the inbox, the local queue and retries one round each.
func (s *Shard) drain() {
	for !s.drainGuarded() {
	}
	if s.outboxN > 0 {
		s.publishOutboxes()
	}
}

// drainGuarded carries out the inbox's envelopes and then the local queue's
// under one deferred recover: messages reach their occupants through
// Handler.Deliver, which does not recover per message. It reports false if
// an occupant panicked (the panic is handled then): the envelopes before and
// including the failing one are consumed, and the caller calls again for the
// rest.
func (s *Shard) drainGuarded() (done bool) {
	defer s.recoverDrain()
	if s.inbox.Drain(s.inbox.Size(), s.deliver) > 0 {
		s.busy = true // messages came in: more may follow, look again before sleeping
	}
	for n := s.local.Len(); n > 0; n-- {
		e, _ := s.local.Pop()
		s.handle(&e)
	}
	return true
}

// recoverDrain is drainGuarded's deferred guard: it hands a panic to the
// handler, and panics again with one the handler does not own.
func (s *Shard) recoverDrain() {
	r := recover()
	if r == nil {
		return
	}
	s.busy = true
	if !s.h.Recover(r) {
		panic(r)
	}
}

// handle carries out one envelope. A message, the common case, is
// delivered right here; commands go to command.
func (s *Shard) handle(e *envelope) {
	if e.kind != kindMessage {
		s.command(e)
		return
	}
	c := s.table.lookup(AddrSlot(e.to), AddrGen(e.to))
	if c == nil || c.state != stateOpen {
		s.undeliverable(c, e)
		return
	}
	s.hot.delivered++
	s.h.Deliver(c, e.from, e.msg)
}

// undeliverable handles a message whose target is gone or closing (c, if
// not nil): once an occupant is closing, nothing but its final Closed
// reaches it. The shard's own notices (Pressure) to an occupant that is
// closing or gone are moot and dropped; everything else is a dead letter.
func (s *Shard) undeliverable(c *Conn, e *envelope) {
	if _, ok := e.msg.(Pressure); ok {
		return
	}
	s.deadLetter(e.to, e.from, e.msg)
}

// command carries out an envelope that is not a message.
func (s *Shard) command(e *envelope) {
	switch e.kind {
	case kindOpen:
		s.open(int(e.to), e.msg.(*Listener))
	case kindListen:
		s.listen(e.msg.(*Listener), int(e.to))
	case kindSpawn:
		c, _ := s.Spawn()
		s.h.Spawned(c, e.msg)
	case kindCall:
		e.msg.(func())()
	case kindPublish:
		p := e.msg.(*publication)
		s.publishLocal(p.group, e.from, p.msg)
	case kindBroadcast:
		p := e.msg.(*publication)
		s.broadcastLocal(p.group, p.msg)
	}
}

// DeadLetter counts msg, from the actor at from, as a dead letter for to
// and hands it to Handler.DeadLetter: for a handler that lost a message it
// had taken for delivery. Shard goroutine only.
func (s *Shard) DeadLetter(to, from uint64, msg any) { s.deadLetter(to, from, msg) }

// deadLetter counts a message whose target is gone and hands it to the
// handler.
func (s *Shard) deadLetter(to, from uint64, msg any) {
	s.stats.deadLetters.Add(1)
	s.h.DeadLetter(to, from, msg)
}

// open adopts an accepted socket.
func (s *Shard) open(fd int, l *Listener) {
	if s.stopping || !l.reserve() {
		refuse(fd, l)
		return
	}
	// Counted first, then checked: a CloseListener that closes l's
	// connections either sees this one counted (its Drained waits for it,
	// and its request to this shard comes after and closes it) or set its
	// reason before the check here.
	if l.closing() != nil { // accepted just before CloseListener closed its connections
		l.release()
		reactor.Close(fd)
		return
	}
	c := s.table.alloc()
	if c == nil {
		l.release()
		reactor.Close(fd)
		s.stats.openFailures.Add(1)
		l.failed(ErrTooManySlots)
		return
	}
	c.fd, c.lis, c.state = int32(fd), l, stateOpen
	if err := s.poller.Add(fd, connToken(c), reactor.Readable); err != nil {
		l.release()
		reactor.Close(fd)
		s.table.release(c)
		s.stats.openFailures.Add(1)
		l.failed(err)
		return
	}
	if d := l.limits.IdleTimeout; d > 0 {
		s.watchIdle(d)
		c.seen = s.clock
	}
	s.conns.Add(1)
	s.stats.opened.Add(1)
	if l.limits.TLS != nil {
		s.startTLS(c)
		return
	}
	if l.stream != nil {
		s.startStream(c)
		return
	}
	s.h.Open(c, nil)
}

// discard disposes of an envelope nobody will carry out: its socket
// closed, its message a dead letter (a request is answered with
// ErrNoActor), a spawn refused.
func (s *Shard) discard(e *envelope) {
	switch e.kind {
	case kindOpen, kindListen:
		reactor.Close(int(e.to))
	case kindMessage:
		if _, ok := e.msg.(Pressure); !ok {
			s.deadLetter(e.to, e.from, e.msg)
		}
	case kindPublish, kindBroadcast:
		s.stats.deadLetters.Add(1)
	case kindSpawn:
		s.h.Spawned(nil, e.msg)
	}
}

// exit releases the shard's descriptors once the loop is done.
func (s *Shard) exit() {
	s.abortAll()
	s.closeListeners()
	s.waker.close()
	s.poller.Close()
	// Whatever arrived after the last drain has nobody left to take it:
	// close the inbox (puts under way land and are handed over, later ones
	// fail), discarding what it holds, then what the local queue and the
	// outboxes hold. Discarding a request answers it, which may queue one
	// more message: go on until nothing is left.
	discard := s.discard
	s.inbox.Close(discard)
	for {
		n := 0
		for e, ok := s.local.Pop(); ok; e, ok = s.local.Pop() {
			discard(&e)
			n++
		}
		if s.outboxN > 0 {
			s.publishOutboxes() // to shards still running
			for i := range s.outbox {
				for e, ok := s.outbox[i].Pop(); ok; e, ok = s.outbox[i].Pop() {
					s.outboxN--
					discard(&e) // its shard is gone too
					n++
				}
			}
		}
		if n == 0 {
			break
		}
	}
	s.box.clear()
	s.textBox.clear()
	s.publishStats()
	close(s.done)
}
