package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// Config configures a node's link to its cluster.
type Config struct {
	// Name is the cluster's name: nodes with the same name on the same NATS
	// servers form one cluster (the subjects start with "shoal.<Name>.").
	// Letters, digits, '-' and '_'; default "default".
	Name string
	// URL lists the NATS servers to connect to (comma-separated nats://
	// URLs): external servers, or the server another node runs (its
	// ClientURL). A node has a URL or a Server, not both.
	URL string
	// Server, instead of URL, is a NATS server the node runs itself: it is
	// started by the node's Start, connected to, and shut down by its Stop
	// (the other nodes then lose it). &natsserver.Server{} is the embedded
	// server, the one-machine default; see ClientURL for what the other
	// nodes connect to. Without Server, a node's binary links no NATS server.
	Server Server
	// Messages are samples of the message types that cross nodes, as for
	// codec.NewRegistry (codec.Tagged gives one a stable tag of your
	// choosing). []byte, string and codec.Text cross without being listed.
	// What you register is what you receive, as on every codec: a message
	// whose type was registered as Join{} arrives on another node as a
	// Join, as &Join{} as a *Join (a copy), whichever form was sent. (A send
	// to an actor on the same node is not encoded and arrives as sent: send
	// the registered form and the two agree.)
	Messages []any
	// Heartbeat is how often a node tells the others it is alive (default
	// one second).
	Heartbeat time.Duration
	// HeartbeatMisses is how many heartbeats a node may miss before the
	// others presume it dead (default 3; at least 2, since with 1 a
	// heartbeat a moment late would take a live node for dead). A node
	// checks the others once per Heartbeat and presumes dead one it has not
	// heard for more than HeartbeatMisses × Heartbeat: a node that dies
	// without a goodbye is reported down (actor.NodeDown, reason
	// ErrNodeSilent) between HeartbeatMisses × Heartbeat and
	// (HeartbeatMisses+1) × Heartbeat after the last heartbeat heard from
	// it, so within (HeartbeatMisses+1) × Heartbeat of its death, plus the
	// time NATS took to carry that heartbeat and any delay of this node's
	// goroutines (a loaded machine); never sooner than HeartbeatMisses ×
	// Heartbeat. A goodbye is reported at once. Every node judges the
	// others by its own two settings: give all nodes of a cluster the same.
	HeartbeatMisses int
	// NATSOptions are extra options for the NATS connection: credentials,
	// TLS, the reconnect policy. They apply after the node's own, so an
	// error, disconnect or reconnect handler given here replaces the
	// node's (and its records in Logger and OnError).
	NATSOptions []nats.Option
	// MaxPending bounds the bytes of envelopes waiting to be published
	// (default 16 MiB): past it sends fail with ErrBacklog instead of
	// queueing more, so a node whose NATS connection is slow or down never
	// grows without bound and never makes a shard wait.
	MaxPending int
	// OnError, if set, sees what goes wrong away from any caller: a
	// malformed envelope from another node, an envelope a full shard could
	// not take, a NATS slow-consumer or connection error. It runs on the
	// node's own goroutines and must not block. Each error is also logged
	// (see Logger), at most once a second for each kind.
	OnError func(error)
	// Storage is where JetStream keeps the groups with settings (their
	// history, presence and names; see GroupStore): FileStorage, the
	// default, survives a restart of the NATS servers, MemoryStorage does
	// not. Replicas is how many NATS servers keep each stream and bucket
	// (default 1; 3 on a three-server NATS cluster survives one server's
	// death). A node whose system has no group settings uses neither, and
	// needs no JetStream.
	Storage  Storage
	Replicas int
	// JetStreamWait bounds how long the group store's Start tries again
	// to set up its streams and buckets while JetStream is not ready (a
	// NATS cluster electing its leader, fewer servers up than Replicas):
	// default 30 seconds. Only a system with group settings waits.
	JetStreamWait time.Duration
	// Logger receives the node's structured records (nil: slog.Default()):
	// connecting to NATS, losing the connection and getting it back, other
	// nodes coming up and going down (with their number, "peer", and the
	// reason), and the errors OnError sees, rate-limited. Every record
	// carries the cluster's name ("cluster") and this node's number
	// ("node"). Nothing is logged per message while all is well.
	Logger *slog.Logger
}

// Stats are a node's counters.
type Stats struct {
	Sent      uint64 // envelopes queued for publishing
	Batches   uint64 // NATS messages published with envelopes (a batch each)
	Received  uint64 // envelopes handed to the local system
	Malformed uint64 // messages from the cluster that were not valid envelopes
	Dropped   uint64 // envelopes the local system could not take (a shard's inbox stayed full), NATS slow-consumer drops, and gaps of the history feed (ErrFeedGap, one each)
	Repaired  uint64 // publications of history groups this node missed on core NATS and read back from their stream instead
}

// Node links one actor.System to a cluster over NATS: pass it to
// actor.NewSystem with actor.Cluster, together with actor.Node(n); System.Start
// and Stop start and stop it. It implements actor.Remote.
type Node struct {
	cfg    Config
	prefix string // "shoal.<name>."
	ser    *codec.MsgpackSerializer
	id     string // this incarnation, to tell a restarted node from itself

	mu      sync.Mutex
	started bool // Start was called (a node starts once)
	running bool
	local   *actor.Local
	node    int
	nc      *nats.Conn
	log     *slog.Logger // cfg.Logger with the cluster's name, and the node's number from Start on
	errLog  limiter      // rate of the error records

	serving   bool                          // Config.Server started and not yet shut down
	serverURL string                        // its URL while serving
	subs      []*nats.Subscription          // node, heartbeats, goodbyes
	groups    map[string]*nats.Subscription // the groups subscribed to; the flusher (and Start, Stop) only

	imu     sync.Mutex          // guards want and dirty: Interest's, so shards never wait for NATS
	want    map[string]bool     // groups with local members
	dirty   map[string]struct{} // groups whose want changed since the flusher last looked
	in      chan *nats.Msg
	done    chan struct{} // closed by Stop: the node's goroutines end
	wg      sync.WaitGroup
	batch   batcher
	hbSubj  string // heartbeat subject
	byeSubj string // goodbye subject

	// Membership (membership.go). mmu serialises every change of peers and
	// its report to local (the heartbeat subscription's goroutine hears
	// heartbeats, the receiving one goodbyes, the beating one finds the
	// silent), so watchers hear them in the order they happened; Send reads
	// peers without it.
	mmu      sync.Mutex
	departed map[string]int64          // incarnations that said goodbye, and when; under mmu, pruned by expire
	peers    sync.Map                  // node number (int) -> *peer
	npeers   atomic.Int32              // entries in peers
	live     atomic.Pointer[nats.Conn] // the connection while running, for Send without the lock

	// The receiving goroutine's own: the subject of the message it is
	// taking apart, and the envelope it decodes into.
	subject string
	env     actor.Envelope

	store *groupStore // GroupStore's, made by New

	sent, batches, received, malformed, dropped, repaired atomic.Uint64
}

// New returns a node for cfg. It connects nothing until the system starts.
func New(cfg Config) (*Node, error) {
	if cfg.Name == "" {
		cfg.Name = "default"
	}
	for _, r := range cfg.Name {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return nil, fmt.Errorf("%w: cluster name %q: want letters, digits, '-' and '_'", ErrBadConfig, cfg.Name)
		}
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = time.Second
	}
	if cfg.Heartbeat < 0 {
		return nil, fmt.Errorf("%w: negative heartbeat %v", ErrBadConfig, cfg.Heartbeat)
	}
	if cfg.HeartbeatMisses == 0 {
		cfg.HeartbeatMisses = 3
	}
	if cfg.HeartbeatMisses < 2 {
		return nil, fmt.Errorf("%w: HeartbeatMisses %d: want at least 2", ErrBadConfig, cfg.HeartbeatMisses)
	}
	if cfg.Heartbeat > math.MaxInt64/time.Duration(cfg.HeartbeatMisses+1) {
		return nil, fmt.Errorf("%w: heartbeat %v × %d misses overflows", ErrBadConfig, cfg.Heartbeat, cfg.HeartbeatMisses)
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = 16 << 20
	}
	if cfg.Storage != FileStorage && cfg.Storage != MemoryStorage {
		return nil, fmt.Errorf("%w: unknown Storage %d", ErrBadConfig, cfg.Storage)
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.JetStreamWait == 0 {
		cfg.JetStreamWait = 30 * time.Second
	}
	if cfg.JetStreamWait < 0 {
		return nil, fmt.Errorf("%w: negative JetStreamWait %v", ErrBadConfig, cfg.JetStreamWait)
	}
	if cfg.Replicas < 1 || cfg.Replicas > 5 {
		return nil, fmt.Errorf("%w: Replicas %d: want 1 to 5", ErrBadConfig, cfg.Replicas)
	}
	if cfg.MaxPending < 0 {
		return nil, fmt.Errorf("%w: negative MaxPending %d", ErrBadConfig, cfg.MaxPending)
	}
	switch {
	case cfg.URL == "" && cfg.Server == nil:
		return nil, fmt.Errorf("%w: no URL and no Server: give the NATS servers' URL, or run one with Server (&natsserver.Server{} embeds one)", ErrBadConfig)
	case cfg.URL != "" && cfg.Server != nil:
		return nil, fmt.Errorf("%w: both a URL and a Server: a node connects to one or runs the other", ErrBadConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	samples := append([]any{
		codec.Tagged("shoal.bytes", []byte(nil)),
		codec.Tagged("shoal.string", ""),
		codec.Tagged("shoal.text", codec.Text(nil)),
	}, cfg.Messages...)
	reg, err := codec.NewRegistry(samples...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	n := &Node{
		cfg:      cfg,
		prefix:   "shoal." + cfg.Name + ".",
		ser:      codec.NewMsgpackSerializer(reg),
		id:       nuid.Next(),
		groups:   make(map[string]*nats.Subscription),
		want:     make(map[string]bool),
		departed: make(map[string]int64),
		dirty:    make(map[string]struct{}),
		in:       make(chan *nats.Msg, 1<<16),
		log:      cfg.Logger.With(slog.String("cluster", cfg.Name)),
	}
	n.store = newGroupStore(n)
	n.batch.init()
	n.hbSubj, n.byeSubj = n.prefix+"hb", n.prefix+"bye"
	return n, nil
}

// Start connects to the cluster (starting Config.Server first, if there is
// one), claims the system's node number, and starts receiving. Called by
// System.Start.
func (n *Node) Start(local *actor.Local) error {
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return errors.New("cluster: a node cannot be started twice")
	}
	n.started = true
	n.local, n.node = local, local.Node()
	n.log = n.log.With(slog.Int("node", n.node))
	n.mu.Unlock()
	// No lock while talking to the network: shards that Join meanwhile
	// (Interest) only record their groups, subscribed below.
	url := n.cfg.URL
	if n.cfg.Server != nil {
		var err error
		if url, err = n.startServer(); err != nil {
			return err
		}
	}
	opts := append([]nats.Option{
		nats.Name(fmt.Sprintf("shoal %s node %d", n.cfg.Name, n.node)),
		nats.NoEcho(), // a node's own publications reach its members locally
		nats.MaxReconnects(-1),
	}, n.connHandlers()...)
	opts = append(opts, n.cfg.NATSOptions...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		n.mu.Lock()
		n.stopServer()
		n.mu.Unlock()
		return fmt.Errorf("cluster: connecting to %s: %w", url, err)
	}
	n.log.LogAttrs(context.Background(), slog.LevelInfo, "connected to NATS",
		slog.String("url", nc.ConnectedUrlRedacted()), slog.String("server", nc.ConnectedServerName()))
	fail := func(err error) error {
		nc.Close()
		n.mu.Lock()
		n.stopServer()
		n.mu.Unlock()
		return err
	}
	// Claim the node number: a live node with it answers.
	if _, err := nc.Request(n.claimSubject(n.node), []byte(n.id), max(n.cfg.Heartbeat, time.Second)); err == nil {
		return fail(fmt.Errorf("%w: node %d in cluster %q", ErrNodeTaken, n.node, n.cfg.Name))
	} else if !errors.Is(err, nats.ErrNoResponders) {
		return fail(fmt.Errorf("cluster: claiming node %d: %w", n.node, err))
	}
	claim, err := nc.Subscribe(n.claimSubject(n.node), func(m *nats.Msg) { m.Respond([]byte(n.id)) })
	if err != nil {
		return fail(err)
	}
	subs := []*nats.Subscription{claim}
	// Heartbeats get a goroutine of their own (an asynchronous
	// subscription), so a receiving goroutine held up by a full shard never
	// delays them into a false NodeDown. Goodbyes stay behind the node's
	// envelopes, in the order they were sent.
	hb, err := nc.Subscribe(n.hbSubj, func(m *nats.Msg) { n.heard(m.Data) })
	if err != nil {
		return fail(err)
	}
	hb.SetPendingLimits(-1, -1)
	subs = append(subs, hb)
	for _, subj := range []string{n.nodeSubject(n.node), n.byeSubj} {
		sub, err := nc.ChanSubscribe(subj, n.in)
		if err != nil {
			return fail(err)
		}
		sub.SetPendingLimits(-1, -1)
		subs = append(subs, sub)
	}
	n.mu.Lock()
	n.nc, n.subs = nc, subs
	n.imu.Lock()
	for g := range n.want { // groups joined before the node ran
		if err := n.subscribeGroup(g); err != nil {
			n.imu.Unlock()
			n.mu.Unlock()
			return fail(err)
		}
	}
	n.imu.Unlock()
	n.done = make(chan struct{})
	n.running = true
	n.live.Store(nc)
	n.wg.Add(3)
	go n.receive()
	go n.beat()
	go n.flusher(nc)
	n.mu.Unlock()
	if err := nc.Flush(); err != nil { // the server has every subscription
		n.Stop(context.Background())
		return fmt.Errorf("cluster: subscribing: %w", err)
	}
	n.mu.Lock()
	if n.running {
		n.heartbeat() // the others learn of this node now, not a period later
	}
	n.mu.Unlock()
	return nil
}

// Stop says goodbye to the other nodes, hands the envelopes already received
// to the local system, and disconnects (shutting down Config.Server, which
// the other nodes then lose). Called by System.Stop before its shards stop.
func (n *Node) Stop(ctx context.Context) error {
	n.mu.Lock()
	if !n.running {
		n.mu.Unlock()
		return nil
	}
	n.running = false
	n.live.Store(nil) // no more sends
	nc := n.nc
	n.mu.Unlock()
	n.flush(nc) // what was sent before Stop goes before the goodbye
	n.mu.Lock()
	nc.Publish(n.byeSubj, n.hello())
	for _, s := range n.subs {
		s.Unsubscribe()
	}
	for g, s := range n.groups {
		s.Unsubscribe()
		delete(n.groups, g)
	}
	n.mu.Unlock()
	var err error
	if nc.IsConnected() { // (a node whose server is gone has nobody to tell)
		err = nc.FlushWithContext(ctx) // the goodbye and the unsubscriptions are out
	}
	close(n.done)
	n.wg.Wait()
	n.forgetPeers()
	nc.Close()
	n.mu.Lock()
	n.stopServer()
	n.mu.Unlock()
	if errors.Is(err, nats.ErrConnectionClosed) {
		err = nil
	}
	return err
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	return Stats{
		Sent:      n.sent.Load(),
		Batches:   n.batches.Load(),
		Received:  n.received.Load(),
		Malformed: n.malformed.Load(),
		Dropped:   n.dropped.Load(),
		Repaired:  n.repaired.Load(),
	}
}
