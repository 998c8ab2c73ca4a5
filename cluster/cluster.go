package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/shard"
)

// DefaultListen is the embedded NATS server's address when Config.Listen is
// empty.
const DefaultListen = "127.0.0.1:4222"

// Config configures a node's link to its cluster.
type Config struct {
	// Name is the cluster's name: nodes with the same name on the same NATS
	// servers form one cluster (the subjects start with "shoal.<Name>.").
	// Letters, digits, '-' and '_'; default "default".
	Name string
	// URL lists the NATS servers to connect to (comma-separated nats://
	// URLs). Empty: the node runs an embedded NATS server on Listen, the
	// one-machine default, and the other nodes connect to it with URL.
	URL string
	// Listen is the embedded server's host:port (default DefaultListen;
	// port 0 picks a free one, see Node.ClientURL). Unused with URL.
	Listen string
	// Messages are samples of the message types that cross nodes, as for
	// codec.NewRegistry (codec.Tagged gives one a stable tag of your
	// choosing). []byte, string and codec.Text cross without being listed.
	// A message arrives as what was sent: a value as a value, a pointer as
	// a pointer to a copy.
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
	// TLS, the reconnect policy.
	NATSOptions []nats.Option
	// MaxPending bounds the bytes of envelopes waiting to be published
	// (default 16 MiB): past it sends fail with ErrBacklog instead of
	// queueing more, so a node whose NATS connection is slow or down never
	// grows without bound and never makes a shard wait.
	MaxPending int
	// OnError, if set, sees what goes wrong away from any caller: a
	// malformed envelope from another node, an envelope a full shard could
	// not take, a NATS slow-consumer or connection error. It runs on the
	// node's own goroutines and must not block.
	OnError func(error)
}

// Stats are a node's counters.
type Stats struct {
	Sent      uint64 // envelopes queued for publishing
	Batches   uint64 // NATS messages published with envelopes (a batch each)
	Received  uint64 // envelopes handed to the local system
	Malformed uint64 // messages from the cluster that were not valid envelopes
	Dropped   uint64 // envelopes the local system could not take (a shard's inbox stayed full), and NATS slow-consumer drops
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
	srv     *server.Server
	subs    []*nats.Subscription          // node, heartbeats, goodbyes
	groups  map[string]*nats.Subscription // the groups subscribed to; the flusher (and Start, Stop) only

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

	sent, batches, received, malformed, dropped atomic.Uint64
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
	if cfg.MaxPending < 0 {
		return nil, fmt.Errorf("%w: negative MaxPending %d", ErrBadConfig, cfg.MaxPending)
	}
	if cfg.URL == "" && cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.URL == "" {
		if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %v", ErrBadConfig, cfg.Listen, err)
		}
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
	}
	n.batch.init()
	n.hbSubj, n.byeSubj = n.prefix+"hb", n.prefix+"bye"
	return n, nil
}

// Subjects.
func (n *Node) nodeSubject(node int) string { return n.prefix + "n." + strconv.Itoa(node) }
func (n *Node) claimSubject(node int) string {
	return n.prefix + "claim." + strconv.Itoa(node)
}

// groupSubject names a group's subject: the name itself when it is made of
// letters, digits, '-' and '_', else its unpadded base64url form (a name may
// hold dots, wildcards or spaces, which subjects cannot).
func (n *Node) groupSubject(group string) string {
	plain := group != ""
	for i := 0; i < len(group) && plain; i++ {
		c := group[i]
		plain = c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	if group == "" {
		return n.prefix + "g.e" // a subject token cannot be empty
	}
	if plain {
		return n.prefix + "g.p." + group
	}
	return n.prefix + "g.b." + base64.RawURLEncoding.EncodeToString([]byte(group))
}

// Start connects to the cluster (starting the embedded server first, without
// a URL), claims the system's node number, and starts receiving. Called by
// System.Start.
func (n *Node) Start(local *actor.Local) error {
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return errors.New("cluster: a node cannot be started twice")
	}
	n.started = true
	n.local, n.node = local, local.Node()
	n.mu.Unlock()
	// No lock while talking to the network: shards that Join meanwhile
	// (Interest) only record their groups, subscribed below.
	url := n.cfg.URL
	if url == "" {
		srv, err := n.startServer()
		if err != nil {
			return err
		}
		n.mu.Lock()
		n.srv = srv
		n.mu.Unlock()
		url = srv.ClientURL()
	}
	opts := append([]nats.Option{
		nats.Name(fmt.Sprintf("shoal %s node %d", n.cfg.Name, n.node)),
		nats.NoEcho(), // a node's own publications reach its members locally
		nats.MaxReconnects(-1),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				n.dropped.Add(1)
			}
			n.report(fmt.Errorf("cluster: node %d: %w", n.node, err))
		}),
	}, n.cfg.NATSOptions...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		n.mu.Lock()
		n.stopServer()
		n.mu.Unlock()
		return fmt.Errorf("cluster: connecting to %s: %w", url, err)
	}
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

// startServer runs the embedded NATS server on cfg.Listen.
func (n *Node) startServer() (*server.Server, error) {
	host, port, _ := net.SplitHostPort(n.cfg.Listen)
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("%w: listen port %q", ErrBadConfig, port)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: fmt.Sprintf("shoal-%s-%d", n.cfg.Name, n.node),
		Host:       host,
		Port:       p,
		NoLog:      true,
		NoSigs:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("cluster: embedded NATS server on %s did not start (is the port free?)", n.cfg.Listen)
	}
	return srv, nil
}

func (n *Node) stopServer() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

// ClientURL returns the embedded NATS server's URL, for the other nodes'
// Config.URL; "" for a node without one (or before Start).
func (n *Node) ClientURL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv == nil {
		return ""
	}
	return n.srv.ClientURL()
}

// Stop says goodbye to the other nodes, hands the envelopes already received
// to the local system, and disconnects (stopping the embedded server, which
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

// Interest records that this node got its first member of group (on) or
// lost its last; the flusher goroutine then subscribes to the group's
// publications or unsubscribes, so the shard that called it never waits for
// NATS. Called by the system on shard goroutines.
func (n *Node) Interest(group string, on bool) {
	n.imu.Lock()
	if on {
		n.want[group] = true
	} else {
		delete(n.want, group)
	}
	n.dirty[group] = struct{}{}
	n.imu.Unlock()
	select { // the flusher applies it
	case n.batch.kick <- struct{}{}:
	default:
	}
}

// applyInterest brings the group subscriptions in line with what Interest
// recorded. The flusher goroutine only.
func (n *Node) applyInterest() {
	type change struct {
		group string
		on    bool
	}
	n.imu.Lock()
	if len(n.dirty) == 0 {
		n.imu.Unlock()
		return
	}
	changes := make([]change, 0, len(n.dirty))
	for g := range n.dirty {
		changes = append(changes, change{g, n.want[g]})
	}
	clear(n.dirty)
	n.imu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.running {
		return
	}
	for _, c := range changes {
		s := n.groups[c.group]
		switch {
		case c.on && s == nil:
			if err := n.subscribeGroup(c.group); err != nil {
				n.report(fmt.Errorf("cluster: node %d: subscribing to group %q: %w", n.node, c.group, err))
			}
		case !c.on && s != nil:
			s.Unsubscribe()
			delete(n.groups, c.group)
		}
	}
}

// subscribeGroup subscribes to group's subject. n.mu held.
func (n *Node) subscribeGroup(group string) error {
	sub, err := n.nc.ChanSubscribe(n.groupSubject(group), n.in)
	if err != nil {
		return err
	}
	sub.SetPendingLimits(-1, -1)
	n.groups[group] = sub
	return nil
}

// Send encodes e and queues it for its node's subject, or its group's for a
// publication or broadcast; the node's flusher publishes what is queued for
// a subject as one batch (see batch.go), keeping the order of envelopes per
// subject. Errors about e itself (a type the cluster cannot encode, an
// unknown node, a message over NATS's maximum payload) are Send's; a failure
// to publish a batch later goes to Config.OnError and Stats.Dropped.
func (n *Node) Send(e *actor.Envelope) error {
	nc := n.live.Load()
	if nc == nil {
		return ErrNotRunning
	}
	var subject string
	switch e.Kind {
	case actor.KindPublish, actor.KindBroadcast:
		if len(e.Group) > MaxGroupLen {
			return ErrGroupTooLong
		}
		if n.npeers.Load() == 0 { // a node alone: nobody else can have members
			if _, ok := n.ser.Registry().Tag(e.Msg); !ok && e.Msg != nil {
				// what would fail with other nodes fails alone too
				return &codec.TypeError{Type: reflect.TypeOf(e.Msg), Codec: "cluster"}
			}
			return nil
		}
		subject = n.groupSubject(e.Group)
	default:
		if e.Node < 0 || e.Node > shard.MaxNode {
			return fmt.Errorf("%w: %d", ErrNoNode, e.Node)
		}
		p, ok := n.peers.Load(e.Node)
		if !ok {
			return fmt.Errorf("%w: %d", ErrNoNode, e.Node)
		}
		subject = p.(*peer).subject
	}
	return n.add(nc, subject, e)
}

// receive hands what arrives to the local system, in order, until Stop.
func (n *Node) receive() {
	defer n.wg.Done()
	for {
		select {
		case m := <-n.in:
			n.handle(m)
		case <-n.done:
			for { // what arrived before the unsubscriptions took effect
				select {
				case m := <-n.in:
					n.handle(m)
				default:
					return
				}
			}
		}
	}
}

func (n *Node) handle(m *nats.Msg) {
	switch m.Subject {
	case n.byeSubj:
		n.goodbye(m.Data)
		return
	}
	n.subject = m.Subject
	if err := eachEnvelope(m.Data, n.deliverOne); err != nil {
		n.malformed.Add(1)
		n.report(fmt.Errorf("cluster: node %d: from %s: %w", n.node, m.Subject, err))
	}
}

// deliverOne decodes one envelope from the subject n.subject and hands it
// to the local system. The receiving goroutine only.
func (n *Node) deliverOne(b []byte) {
	e := &n.env
	if err := decodeEnvelope(b, e, n.ser); err != nil {
		n.malformed.Add(1)
		n.report(fmt.Errorf("cluster: node %d: from %s: %w", n.node, n.subject, err))
		return
	}
	err := n.local.Deliver(e)
	*e = actor.Envelope{}
	if err != nil {
		n.dropped.Add(1)
		n.report(fmt.Errorf("cluster: node %d: delivering: %w", n.node, err))
		return
	}
	n.received.Add(1)
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	return Stats{
		Sent:      n.sent.Load(),
		Batches:   n.batches.Load(),
		Received:  n.received.Load(),
		Malformed: n.malformed.Load(),
		Dropped:   n.dropped.Load(),
	}
}

func (n *Node) report(err error) {
	if n.cfg.OnError != nil {
		n.cfg.OnError(err)
	}
}
