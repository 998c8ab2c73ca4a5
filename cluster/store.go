package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shoalrt/shoal/actor"
)

// The node's actor.GroupStore keeps the groups with settings in JetStream
// (see doc.go for the layout): one stream per GroupSettings with history
// (store_history.go: publications, positions, live delivery and reads),
// and two key-value buckets, presence and names (store_kv.go). Requests
// are answered by the store's own goroutines: a pool of workers for the
// reads (Read, Members, Lookup, checking a duplicate), and one serial
// worker for the writes whose order matters (Present, Watch, Register,
// Unregister, a dead node's cleanup). A node whose system has no group
// settings makes no JetStream call at Start, and none later unless the name
// registry is used.

// Storage says where JetStream keeps what the group store writes.
type Storage int

// Storage types (Config.Storage).
const (
	FileStorage   Storage = iota // on disk: survives a NATS server restart
	MemoryStorage                // in memory: faster, lost when the servers stop
)

// Bounds of the store.
const (
	// storeWorkers is how many requests (reads) the store answers at once.
	storeWorkers = 4
	// maxPendingPubs bounds the publications waiting for their PubAck:
	// past it Publish fails with ErrBacklog.
	maxPendingPubs = 1 << 16
	// setupTimeout bounds each try of a step of Start.
	setupTimeout = 5 * time.Second
)

// errStopped is the answer of a request to a store that is not running.
var errStopped = fmt.Errorf("%w: the cluster's group store is not running", actor.ErrNoStore)

// storeState is where a store is in its life.
type storeState int

const (
	storeNew storeState = iota
	storeRunning
	storeStopped
)

// groupStore is a Node's actor.GroupStore on JetStream.
type groupStore struct {
	n *Node

	// on is what Start set up, immutable once stored: read without a lock
	// by Publish (a shard, hot) and by the node's receiving goroutine.
	on atomic.Pointer[storeOn]

	mu       sync.Mutex
	state    storeState
	ctx      context.Context // canceled by Stop: every request in flight ends
	cancel   context.CancelFunc
	pubs     map[*nats.Msg]*pendingPub // publications waiting for their PubAck
	work     queue                     // reads, answered by storeWorkers goroutines
	serial   queue                     // writes whose order matters, by one goroutine
	watchers map[string]*watcher       // groups watched on this node
	names    jetstream.KeyValue        // the names bucket, once opened
	js       jetstream.JetStream       // once made (Start with settings, or the first name request)
	recs     map[*history][]*recovery  // recoveries waiting for their scan, by stream (store_coalesce.go)

	fmu  sync.Mutex // guards feed; after n.imu when both are held
	feed feed       // the live feed of the history groups with members here (store_feed.go)

	since   time.Time   // when Start began
	resweep *time.Timer // the sweep to come (nodeDown), stopped by Stop
	patrol  *time.Timer // the next periodic sweep (patrolNow), stopped by Stop

	handlers sync.WaitGroup // PubAck handlers holding a publication: Stop waits for them
	wg       sync.WaitGroup // workers, the feed's goroutines, watchers

	coalesced atomic.Int64 // recoveries served by a coalesced scan (tests: export_test.go); cold

	// mine is this node's own presence entries and names (key → value),
	// to write again what another node removed, having taken this node for
	// dead (store_kv.go, reassert). The serial worker only.
	mine       struct{ presence, names map[string][]byte }
	reasserted atomic.Int64 // entries and names written again (tests); cold
}

// storeOn is a running store's fixed parts.
type storeOn struct {
	sink     actor.GroupSink
	hist     map[string]*history // by settings pattern
	presence jetstream.KeyValue  // nil without settings with presence
	js       jetstream.JetStream // s.js, for Publish without the lock; nil without settings
}

// pendingPub is a publication waiting for its PubAck: the message handed
// to nats.go (whose handlers get a pointer to it back, s.pubs' key) and
// what answers it, in one allocation. Written by Publish before it is in
// s.pubs, read-only after.
type pendingPub struct {
	msg   nats.Msg                     // as published
	group string                       // its group
	h     *history                     // its group's stream
	ack   func(actor.Published, error) // nil without a key
	hdr   [2]string                    // with a key, the values of msg.Header: Nats-Msg-Id, Shoal-Digest
}

// job is a request for a worker: run answers it (its callback called once,
// whatever happens); fail answers it with an error instead, when the store
// stops before it runs.
type job struct {
	run  func(ctx context.Context)
	fail func(err error)
}

// queue is a list of jobs and its workers' wake-up, under the store's mu.
type queue struct {
	jobs []job
	cond *sync.Cond
}

func newGroupStore(n *Node) *groupStore {
	s := &groupStore{n: n, pubs: make(map[*nats.Msg]*pendingPub), watchers: make(map[string]*watcher), recs: make(map[*history][]*recovery)}
	s.work.cond = sync.NewCond(&s.mu)
	s.serial.cond = sync.NewCond(&s.mu)
	s.feed.init()
	return s
}

// GroupStore returns the node's actor.GroupStore, which keeps the groups
// with settings (actor.Groups) in JetStream on the NATS servers the node is
// connected to: it implements actor.GroupStorer, and the system starts and
// stops the store after and before the node. See the package doc for the
// streams, buckets and costs; a system without group settings needs no
// JetStream. Safe from any goroutine; it returns the same store every time.
func (n *Node) GroupStore() actor.GroupStore { return n.store }

var _ actor.GroupStorer = (*Node)(nil)

// Start sets up the streams of the settings with history, the presence and
// names buckets, and the live feed of the history groups with members on
// this node (store_feed.go); it
// removes what an earlier incarnation of this node left in the buckets.
// Without settings it does nothing. It fails (ErrNoJetStream) if there are
// settings and the NATS server has no JetStream. Called by System.Start
// after the node's Start.
func (s *groupStore) Start(sink actor.GroupSink) error {
	s.mu.Lock()
	if s.state != storeNew {
		s.mu.Unlock()
		return errors.New("cluster: a group store cannot be started twice")
	}
	nc := s.n.live.Load()
	if nc == nil {
		s.mu.Unlock()
		return fmt.Errorf("cluster: starting the group store: %w", ErrNotRunning)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.since = time.Now()
	s.mu.Unlock()
	on := &storeOn{sink: sink, hist: make(map[string]*history)}
	settings := sink.Settings()
	if len(settings) > 0 {
		if err := s.setup(nc, on, settings); err != nil {
			s.mu.Lock()
			s.state = storeStopped
			s.mu.Unlock()
			s.cancel()
			return err
		}
	}
	s.mu.Lock()
	s.on.Store(on)
	s.state = storeRunning
	s.wg.Add(storeWorkers + 1)
	for range storeWorkers {
		go s.worker(&s.work)
	}
	go s.worker(&s.serial)
	s.mu.Unlock()
	s.armPatrol(sweepInterval())
	s.followFeed(on)
	return nil
}

// setup makes the JetStream context, the streams and buckets. Each step is
// tried again on a transient failure (a NATS cluster still electing its
// JetStream leader, too few servers up yet for Replicas) until
// Config.JetStreamWait has passed. Start only.
func (s *groupStore) setup(nc *nats.Conn, on *storeOn, settings []actor.GroupSettings) error {
	js, err := s.jetStream(nc)
	if err != nil {
		return err
	}
	on.js = js
	ctx, cancel := context.WithTimeout(s.ctx, s.n.cfg.JetStreamWait)
	defer cancel()
	try := func(what string, step func(ctx context.Context) error) error {
		return s.retry(ctx, nc, what, step)
	}
	err = try("asking for JetStream", func(ctx context.Context) error { _, err := js.AccountInfo(ctx); return err })
	if err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return fmt.Errorf("%w: the NATS server at %s: %v (groups with settings are kept in JetStream)", ErrNoJetStream, nc.ConnectedUrlRedacted(), err)
		}
		return err
	}
	presence := false
	for _, g := range settings {
		presence = presence || g.Presence
		if !g.HasHistory() {
			continue
		}
		var h *history
		if err := try("the stream of "+g.Pattern, func(ctx context.Context) (err error) {
			h, err = s.openHistory(ctx, js, g, on.hist)
			return err
		}); err != nil {
			return err
		}
		on.hist[g.Pattern] = h
	}
	mine := func(node int, inc string, _ time.Time) bool { return node == s.n.node && inc != s.n.id } // an earlier incarnation's
	if presence {
		if err := try("the presence bucket", func(ctx context.Context) (err error) {
			on.presence, err = s.bucket(ctx, js, "presence")
			return err
		}); err != nil {
			return err
		}
		if err := try("removing an earlier incarnation's presence", func(ctx context.Context) error {
			return s.cleanPresence(ctx, on.presence, strconv.Itoa(s.n.node)+".>", mine)
		}); err != nil {
			return err
		}
	}
	var names jetstream.KeyValue
	if err := try("the names bucket", func(ctx context.Context) (err error) {
		names, err = s.bucket(ctx, js, "names")
		return err
	}); err != nil {
		return err
	}
	if err := try("removing an earlier incarnation's names", func(ctx context.Context) error {
		return s.cleanNames(ctx, names, mine)
	}); err != nil {
		return err
	}
	s.mu.Lock()
	s.names = names
	s.mu.Unlock()
	return nil
}

// retry runs step (each try within setupTimeout) until it succeeds, fails
// for good, or ctx ends.
func (s *groupStore) retry(ctx context.Context, nc *nats.Conn, what string, step func(ctx context.Context) error) error {
	wait := 250 * time.Millisecond
	for tries := 1; ; tries++ {
		sctx, cancel := context.WithTimeout(ctx, setupTimeout)
		err := step(sctx)
		cancel()
		if err == nil {
			return nil
		}
		if !transient(err, nc) || ctx.Err() != nil {
			if tries > 1 {
				return fmt.Errorf("cluster: group store: %s: %w (%d tries)", what, err, tries)
			}
			return fmt.Errorf("cluster: group store: %s: %w", what, err)
		}
		s.n.log.LogAttrs(context.Background(), slog.LevelInfo, "group store: trying again", slog.String("step", what), slog.Any("err", err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// transient reports whether a JetStream failure may pass: a timeout, no
// responders, a server error (503: no leader yet, too few servers), and
// JetStream not enabled from a server in a cluster (which says so while
// the cluster forms).
func transient(err error, nc *nats.Conn) bool {
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return nc != nil && nc.ConnectedClusterName() != ""
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return api.Code >= 500
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoServers)
}

// jetStream returns the store's JetStream context, made on first use.
func (s *groupStore) jetStream(nc *nats.Conn) (jetstream.JetStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.js != nil {
		return s.js, nil
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncAckHandler(s.acked),
		jetstream.WithPublishAsyncErrHandler(s.notAcked),
		jetstream.WithPublishAsyncTimeout(actor.StoreTimeout),
		jetstream.WithPublishAsyncMaxPending(2*maxPendingPubs), // never reached: Publish refuses first, never stalls
	)
	if err != nil {
		return nil, fmt.Errorf("cluster: group store: %w", err)
	}
	s.js = js
	return js, nil
}

// Stop ends every request in flight, answers with an error every callback
// still owed (publications waiting for their PubAck, requests not yet
// run), stops the live feed and the watchers, and returns when none of the store's
// goroutines is left: no call to the sink follows. Called by System.Stop.
func (s *groupStore) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.state != storeRunning {
		s.state = storeStopped
		s.mu.Unlock()
		return nil
	}
	s.state = storeStopped
	s.cancel()
	pubs := s.pubs
	s.pubs = make(map[*nats.Msg]*pendingPub)
	watchers := s.watchers
	s.watchers = make(map[string]*watcher)
	if s.resweep != nil {
		s.resweep.Stop()
	}
	if s.patrol != nil {
		s.patrol.Stop()
	}
	s.work.cond.Broadcast()
	s.serial.cond.Broadcast()
	s.mu.Unlock()
	for _, p := range pubs {
		if p.ack != nil {
			p.ack(actor.Published{Group: p.group}, errStopped)
		}
	}
	s.stopFeed()
	for _, w := range watchers {
		w.stop()
	}
	s.handlers.Wait()
	s.wg.Wait()
	for _, q := range []*queue{&s.work, &s.serial} {
		s.mu.Lock()
		jobs := q.jobs
		q.jobs = nil
		s.mu.Unlock()
		for _, j := range jobs {
			j.fail(errStopped)
		}
	}
	return nil
}

// enqueue hands j to q's workers, and reports false (j not taken) if the
// store is not running.
func (s *groupStore) enqueue(q *queue, j job) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != storeRunning {
		return false
	}
	q.jobs = append(q.jobs, j)
	q.cond.Signal()
	return true
}

// submit is enqueue for a request made on any goroutine (a shard's): if
// the store is not running, j fails on a goroutine of its own, never the
// caller's.
func (s *groupStore) submit(q *queue, j job) {
	if !s.enqueue(q, j) {
		go j.fail(errStopped)
	}
}

// worker runs q's jobs until Stop, each with a deadline of
// actor.StoreTimeout.
func (s *groupStore) worker(q *queue) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		for len(q.jobs) == 0 && s.state == storeRunning {
			q.cond.Wait()
		}
		if s.state != storeRunning {
			s.mu.Unlock()
			return
		}
		j := q.jobs[0]
		q.jobs[0] = job{}
		q.jobs = q.jobs[1:]
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(s.ctx, actor.StoreTimeout)
		j.run(ctx)
		cancel()
	}
}

// running returns what Start set up, or nil when the store is not
// running.
func (s *groupStore) running() *storeOn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != storeRunning {
		return nil
	}
	return s.on.Load()
}

// hasHistory reports whether group's settings keep a history: its
// publications come from the store, not from core NATS. Any goroutine.
func (s *groupStore) hasHistory(group string) bool {
	on := s.on.Load()
	if on == nil || len(on.hist) == 0 {
		return false
	}
	g, ok := on.sink.Match(group)
	return ok && g.HasHistory()
}

// report reports err, unless the store is stopping (and err is likely
// its cancellation).
func (s *groupStore) report(err error) {
	if s.ctx.Err() == nil {
		s.n.report(logStore, err)
	}
}

// storeErr wraps err, a JetStream failure, for a callback.
func storeErr(what string, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: %s: %v", actor.ErrNoStore, what, err)
	}
	return fmt.Errorf("cluster: group store: %s: %w", what, err)
}

// bucket creates or updates the key-value bucket SHOAL_<cluster>_<kind>.
func (s *groupStore) bucket(ctx context.Context, js jetstream.JetStream, kind string) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      "SHOAL_" + s.n.cfg.Name + "_" + kind,
		Description: "shoal cluster " + s.n.cfg.Name + ": " + kind,
		History:     1,
		Storage:     s.n.cfg.Storage.js(),
		Replicas:    s.n.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: group store: the %s bucket: %w", kind, err)
	}
	return kv, nil
}

func (st Storage) js() jetstream.StorageType {
	if st == MemoryStorage {
		return jetstream.MemoryStorage
	}
	return jetstream.FileStorage
}

// checkText says what is wrong with s as a name of at most max bytes, as
// the actor package does ("" if nothing).
func checkText(s string, max int) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > max:
		return fmt.Sprintf("longer than %d bytes", max)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) { // C0, DEL and C1, as actor's own check
			return "holds a control character"
		}
	}
	return ""
}
